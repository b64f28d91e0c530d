/**
 * One suggestion as it streams in. The completion route pushes events while JupyterLab
 * pulls: first `fetch` waits for something to show, then `stream` asks for each update.
 * This buffer sits between them, so events that arrive while nobody pulls are not lost
 * and an abort ends both sides at once.
 */
import { CompleteEvent } from './completeApi';

export type SuggestionState =
  | 'waiting'
  | 'streaming'
  | 'done'
  | 'disabled'
  | 'error'
  | 'aborted';

const ENDED: ReadonlySet<SuggestionState> = new Set([
  'done',
  'disabled',
  'error',
  'aborted'
]);

export class SuggestionStream {
  /** The suggestion so far (the server's final text once done). */
  get text(): string {
    return this._text;
  }

  get state(): SuggestionState {
    return this._state;
  }

  /** Why the request failed, when `state` is 'error'. */
  get error(): string {
    return this._error;
  }

  get ended(): boolean {
    return ENDED.has(this._state);
  }

  /** Take one event of the completion route; events after the end are ignored. */
  push(event: CompleteEvent): void {
    if (this.ended) {
      return;
    }
    switch (event.type) {
      case 'piece':
        this._text += event.text;
        this._state = 'streaming';
        break;
      case 'done':
        // The server's final text is authoritative: its stop rules may trim the pieces.
        this._text = event.text;
        this._state = 'done';
        break;
      case 'error':
        this._error = event.message;
        this._state = 'error';
        break;
      case 'disabled':
        this._state = 'disabled';
        break;
    }
    this._notify();
  }

  /** The request failed outside the stream (network, HTTP error, cut stream). */
  fail(message: string): void {
    if (!this.ended) {
      this._error = message;
      this._state = 'error';
      this._notify();
    }
  }

  /** The request was cancelled: nothing more will be shown. */
  abort(): void {
    if (!this.ended) {
      this._state = 'aborted';
      this._notify();
    }
  }

  /** Resolves once there is text to show or the request has ended. */
  async first(): Promise<void> {
    while (this._state === 'waiting') {
      await this._changed;
    }
  }

  /**
   * The growing text, each time it differs from what is shown (starting from `shown`),
   * the final text included; ends with the request, at once when aborted.
   */
  async *updates(shown: string): AsyncGenerator<string, void, undefined> {
    for (;;) {
      const state = this._state;
      if (state === 'aborted' || state === 'error' || state === 'disabled') {
        return;
      }
      if (this._text !== shown && state !== 'waiting') {
        shown = this._text;
        yield shown;
        continue; // the consumer may have taken a while: look again before waiting
      }
      if (state === 'done') {
        return;
      }
      await this._changed;
    }
  }

  private _notify(): void {
    this._resolve();
    this._changed = new Promise(resolve => (this._resolve = resolve));
  }

  private _text = '';
  private _state: SuggestionState = 'waiting';
  private _error = '';
  private _resolve: () => void = () => undefined;
  private _changed: Promise<void> = new Promise(
    resolve => (this._resolve = resolve)
  );
}
