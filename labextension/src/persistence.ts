/**
 * Keep each notebook's conversation across page reloads, in the browser's
 * localStorage keyed by the server's base URL and the notebook path: two servers on one
 * origin (JupyterHub's users, or two labs behind one proxy) share one localStorage, and
 * the same path on each is a different notebook. Only finished messages are meaningful after a
 * reload, so a message that was still streaming is stored as stopped.
 */
import { IChatMessage } from './types';

export const STORAGE_PREFIX = 'jupyter-localai:conversation:';
export const MAX_STORED_MESSAGES = 100;

/** The part of the Storage API used here (lets tests pass an in-memory store). */
export interface IKeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class ConversationStore {
  /** `serverBase`: the server's base URL (PageConfig's baseUrl), part of every key. */
  constructor(
    private readonly _storage: IKeyValueStore,
    private readonly _serverBase = ''
  ) {}

  /** The storage key of a notebook's conversation on the server at `serverBase`. */
  static key(path: string, serverBase = ''): string {
    return `${STORAGE_PREFIX}${JSON.stringify([serverBase, path])}`;
  }

  /** The key of versions that knew no server (the path alone). */
  static legacyKey(path: string): string {
    return `${STORAGE_PREFIX}${path}`;
  }

  load(path: string): IChatMessage[] {
    const raw = this._storage.getItem(this._key(path)) ?? this._adoptLegacy(path);
    if (!raw) {
      return [];
    }
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      console.warn(`jupyter-localai: dropping an unreadable conversation of ${path}`);
      return [];
    }
    if (!Array.isArray(data)) {
      return [];
    }
    return data.filter(isMessage);
  }

  save(path: string, messages: ReadonlyArray<IChatMessage>): void {
    const kept = messages.slice(-MAX_STORED_MESSAGES).map(message =>
      message.state === 'streaming'
        ? {
            ...message,
            state: 'stopped' as const,
            note: 'The page was reloaded before this answer was complete.'
          }
        : message
    );
    try {
      this._storage.setItem(this._key(path), JSON.stringify(kept));
    } catch (reason) {
      // A full localStorage must not break the chat; the conversation stays in memory.
      console.warn('jupyter-localai: could not save the conversation', reason);
    }
  }

  clear(path: string): void {
    this._storage.removeItem(this._key(path));
  }

  /** A notebook was renamed: its conversation follows it. */
  rename(oldPath: string, newPath: string): void {
    const raw = this._storage.getItem(this._key(oldPath));
    if (raw !== null) {
      this._storage.setItem(this._key(newPath), raw);
      this._storage.removeItem(this._key(oldPath));
    }
  }

  private _key(path: string): string {
    return ConversationStore.key(path, this._serverBase);
  }

  /**
   * A conversation saved under the path alone (before keys named the server) moves to
   * this server's key once: the first server to open that path takes it, and it is never
   * read under the old key again.
   */
  private _adoptLegacy(path: string): string | null {
    const legacy = ConversationStore.legacyKey(path);
    const raw = this._storage.getItem(legacy);
    if (raw === null) {
      return null;
    }
    try {
      this._storage.setItem(this._key(path), raw);
      this._storage.removeItem(legacy);
    } catch (reason) {
      console.warn('jupyter-localai: could not move an old conversation', reason);
    }
    return raw;
  }
}

function isMessage(value: unknown): value is IChatMessage {
  const m = value as IChatMessage;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'string' &&
    (m.role === 'user' || m.role === 'assistant') &&
    typeof m.content === 'string' &&
    typeof m.state === 'string'
  );
}
