/**
 * Keep each notebook's conversation across page reloads, in the browser's
 * localStorage keyed by notebook path. Only finished messages are meaningful after a
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
  constructor(private readonly _storage: IKeyValueStore) {}

  static key(path: string): string {
    return `${STORAGE_PREFIX}${path}`;
  }

  load(path: string): IChatMessage[] {
    const raw = this._storage.getItem(ConversationStore.key(path));
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
      this._storage.setItem(ConversationStore.key(path), JSON.stringify(kept));
    } catch (reason) {
      // A full localStorage must not break the chat; the conversation stays in memory.
      console.warn('jupyter-localai: could not save the conversation', reason);
    }
  }

  clear(path: string): void {
    this._storage.removeItem(ConversationStore.key(path));
  }

  /** A notebook was renamed: its conversation follows it. */
  rename(oldPath: string, newPath: string): void {
    const raw = this._storage.getItem(ConversationStore.key(oldPath));
    if (raw !== null) {
      this._storage.setItem(ConversationStore.key(newPath), raw);
      this._storage.removeItem(ConversationStore.key(oldPath));
    }
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
