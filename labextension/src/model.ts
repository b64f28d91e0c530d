/**
 * The conversation of one notebook and the ask in flight: appends the user's message,
 * grows the answer as tokens stream in, stops on request, and turns every failure into
 * a readable note on the answer (never a spinner left turning).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { readBlockChecks } from './blockChecks';
import { finalMarkdown } from './codeblocks';
import { ConversationStore } from './persistence';
import { AskEvent, IAskBody, IChatMessage, INotebookContext, Task } from './types';

/** The server calls the model needs (the real ones are in api.ts). */
export interface IChatBackend {
  ask(
    body: IAskBody,
    onEvent: (event: AskEvent) => void,
    signal: AbortSignal
  ): Promise<void>;
  cancel(requestId: string): Promise<unknown>;
}

export interface ISendOptions {
  task: Task;
  /** What the server gets as the question (may be empty for explain / fix). */
  prompt: string;
  /** What the conversation shows as the question (defaults to `prompt`). */
  display?: string;
  context: INotebookContext;
  targetSource?: string;
  targetOutput?: string;
  maxTokens?: number;
  /**
   * The Verify box: a fix is answered by the notebook's kernel, which runs each candidate
   * in a copy of itself (shown on the messages). Ignored for other tasks, and where the
   * model has no kernel backend.
   */
  verify?: boolean;
}

const HISTORY_TURNS = 6;
/** After Stop, how long the server gets to end the stream itself before it is cut. */
export const STOP_GRACE_MS = 3000;

let counter = 0;
function newId(): string {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 10);
  return `${Date.now().toString(36)}-${counter}-${random}`;
}

export class ChatModel {
  /**
   * `_backend` is the server's ask; `_kernelBackend`, when given, answers verified fixes in
   * the notebook's kernel (the server has none of the kernel's state to run them in).
   */
  constructor(
    private readonly _backend: IChatBackend,
    private readonly _store: ConversationStore | null = null,
    private readonly _kernelBackend: IChatBackend | null = null
  ) {}

  /** Whether a fix can be verified (a kernel backend is there): the Verify box shows. */
  get canVerify(): boolean {
    return this._kernelBackend !== null;
  }

  /**
   * Who answers an ask: the kernel for a fix with Verify ticked (when there is a kernel
   * backend), the server for everything else.
   */
  route(task: Task, verify: boolean | undefined): { backend: IChatBackend; verify: boolean } {
    if (task === 'fix' && verify && this._kernelBackend !== null) {
      return { backend: this._kernelBackend, verify: true };
    }
    return { backend: this._backend, verify: false };
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get messages(): ReadonlyArray<IChatMessage> {
    return this._messages;
  }

  get busy(): boolean {
    return this._abort !== null;
  }

  get path(): string | null {
    return this._path;
  }

  /** Show the conversation of another notebook (stopping nothing in flight). */
  setPath(path: string | null): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._messages = path && this._store ? this._store.load(path) : [];
    this._changed.emit();
  }

  clear(): void {
    if (this.busy) {
      this.stop();
    }
    this._messages = [];
    if (this._path && this._store) {
      this._store.clear(this._path);
    }
    this._changed.emit();
  }

  /** Ask; resolves once the answer is complete, failed or stopped. */
  async send(options: ISendOptions): Promise<IChatMessage> {
    if (this.busy) {
      throw new Error('An answer is still coming: stop it before asking again.');
    }
    const history = this._messages
      .filter(m => m.state === 'done' && m.content.trim())
      .slice(-HISTORY_TURNS)
      .map(m => ({ role: m.role, content: m.content }));
    const question: IChatMessage = {
      id: newId(),
      role: 'user',
      content: options.display ?? options.prompt,
      task: options.task,
      state: 'done'
    };
    const answer: IChatMessage = {
      id: newId(),
      role: 'assistant',
      content: '',
      task: options.task,
      state: 'streaming'
    };
    const { backend, verify } = this.route(options.task, options.verify);
    if (verify) {
      question.verify = answer.verify = true;
    }
    const path = this._path;
    const messages = [...this._messages, question, answer];
    this._messages = messages;
    const abort = new AbortController();
    this._abort = abort;
    this._active = backend;
    this._requestId = `panel-${newId()}`;
    this._stopping = false;
    const started = Date.now();
    this._changed.emit();

    const update = (patch: Partial<IChatMessage>) => {
      Object.assign(answer, patch);
      if (this._messages === messages) {
        this._changed.emit();
      }
    };
    const body: IAskBody = {
      task: options.task,
      prompt: options.prompt,
      context: options.context,
      history,
      session_id: path ?? undefined,
      request_id: this._requestId
    };
    if (options.targetSource !== undefined) {
      body.target_source = options.targetSource;
      body.target_output = options.targetOutput ?? '';
    }
    if (options.maxTokens) {
      body.max_tokens = options.maxTokens;
    }
    try {
      await backend.ask(
        body,
        event => this._onEvent(event, answer, update),
        abort.signal
      );
      if (answer.state === 'streaming') {
        update({ state: 'error', note: 'The answer ended without a result.' });
      }
    } catch (reason) {
      if (answer.state === 'streaming') {
        if (abort.signal.aborted || this._stopping) {
          update({ state: 'stopped', note: 'Stopped by you.' });
        } else {
          update({
            state: 'error',
            note: (reason as Error)?.message ?? String(reason)
          });
        }
      }
    } finally {
      answer.seconds = (Date.now() - started) / 1000;
      if (this._abort === abort) {
        clearTimeout(this._stopTimer);
        this._abort = null;
        this._requestId = null;
        this._stopping = false;
      }
      this._save(path, messages);
      if (this._messages === messages) {
        this._changed.emit();
      }
    }
    return answer;
  }

  /** Whether Stop was pressed and the answer is winding down. */
  get stopping(): boolean {
    return this._stopping;
  }

  /**
   * Stop the answer in flight: ask its backend to cancel (the server or the kernel ends
   * the stream with the partial answer); if it has not within STOP_GRACE_MS, drop it.
   */
  stop(): void {
    const abort = this._abort;
    if (!abort || this._stopping) {
      return;
    }
    this._stopping = true;
    this._changed.emit();
    const requestId = this._requestId;
    const cut = () => abort.abort();
    this._stopTimer = setTimeout(cut, STOP_GRACE_MS);
    if (requestId) {
      this._active.cancel(requestId).catch(reason => {
        console.warn('jupyter-localai: cancel failed; closing the stream', reason);
        cut();
      });
    } else {
      cut();
    }
  }

  private _onEvent(
    event: AskEvent,
    answer: IChatMessage,
    update: (patch: Partial<IChatMessage>) => void
  ): void {
    if (answer.state !== 'streaming') {
      return;
    }
    switch (event.type) {
      case 'start':
        this._requestId = event.request_id;
        break;
      case 'attempt':
        // A retry after a failed check: its text replaces the previous attempt's.
        update({
          content: '',
          note: `Trying again (attempt ${event.attempt}): ${event.reason}`
        });
        break;
      case 'token':
        update({ content: answer.content + event.text });
        break;
      case 'done': {
        const cancelled =
          event.reply.finish_reason === 'cancelled' || this._stopping;
        update({
          content: finalMarkdown(answer.content, event.reply),
          model: event.reply.model,
          warnings: event.reply.warnings ?? [],
          verified:
            typeof event.reply.verified === 'boolean' ? event.reply.verified : undefined,
          blocks: readBlockChecks(event.reply.blocks),
          state: cancelled ? 'stopped' : 'done',
          note: cancelled ? 'Stopped by you.' : answer.note
        });
        break;
      }
      case 'error': {
        const cancelled = /cancel/i.test(event.message);
        update({
          state: cancelled ? 'stopped' : 'error',
          note: cancelled ? `Stopped: ${event.message}` : event.message
        });
        break;
      }
    }
  }

  private _save(path: string | null, messages: IChatMessage[]): void {
    if (path && this._store) {
      this._store.save(path, messages);
    }
  }

  private _messages: IChatMessage[] = [];
  private _path: string | null = null;
  private _abort: AbortController | null = null;
  private _active: IChatBackend = this._backend;
  private _requestId: string | null = null;
  private _stopping = false;
  private _stopTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _changed = new Signal<this, void>(this);
}
