/**
 * Local AI's inline completion provider for JupyterLab's own inline completer, so
 * accepting (Tab), cycling, dismissing (Esc), the debounce and the on/off switch are
 * JupyterLab's ("Inline Completer" settings). It streams one suggestion from the resident
 * model: `fetch` returns the first piece marked incomplete, `stream` yields the rest.
 *
 * Only one request runs at a time: a newer request, or any edit of the text being
 * completed, aborts the one in flight (the server then stops its generation), so a
 * typed character never waits for a suggestion that no longer fits. The suggestion is
 * model output: JupyterLab shows it as plain ghost text, never as HTML.
 */
import {
  CompletionHandler,
  IInlineCompletionContext,
  IInlineCompletionItem,
  IInlineCompletionList,
  IInlineCompletionProvider
} from '@jupyterlab/completer';
import { Text } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { JSONValue } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import { CompleteEvent, ICompleteBody } from './completeApi';
import { SuggestionStream } from './suggestionStream';
import { INotebookContext } from './types';

export const INLINE_PROVIDER_ID = 'jupyter-localai:inline-completer';

/** After the server says completion is off, ask again only after this long. */
export const DISABLED_RETRY_MS = 30_000;

const DEFAULT_MAX_TOKENS = 48; // the server's own cap by default (LocalAI.completion_max_tokens)
const DEFAULT_TIMEOUT_MS = 5000;

/** Where a completion is asked from: resolved by the JupyterLab wiring (or a test). */
export interface ICompletionTarget {
  /** The notebook's path: the server keeps one warm context and one request per session. */
  sessionId: string;
  /** The same context object the panel sends to /ask (cells before this one, variables). */
  context: INotebookContext;
  /** The edited text now, to tell a real edit from a no-op change. */
  source(): string;
  /** Emits when the edited text may have changed (a keystroke, an accepted suggestion). */
  sourceChanged: ISignal<unknown, unknown>;
}

export type CompleteFunction = (
  body: ICompleteBody,
  onEvent: (event: CompleteEvent) => void,
  signal: AbortSignal
) => Promise<void>;

export interface IInlineProviderOptions {
  /** Calls the completion route (`complete` of completeApi in the lab). */
  complete: CompleteFunction;
  /**
   * The target of a request; null where Local AI does not complete (not a Python code
   * cell) or where the request is stale (its text is no longer the edited cell's).
   */
  target: (
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ) => Promise<ICompletionTarget | null>;
  icon?: LabIcon.ILabIcon;
  newId?: () => string;
  now?: () => number;
}

/** The cell's text split at the completer's offset (counted in characters, not UTF-16). */
export function splitAtCursor(
  request: CompletionHandler.IRequest
): { prefix: string; suffix: string } {
  const index = Text.charIndexToJsIndex(request.offset, request.text);
  return { prefix: request.text.slice(0, index), suffix: request.text.slice(index) };
}

/** One request in flight: its abort switch, its buffer, and its edit watch. */
class Flight {
  /** The text JupyterLab holds for this suggestion (what `fetch` returned). */
  shown = '';

  constructor(
    readonly token: string,
    readonly stream: SuggestionStream,
    readonly controller: AbortController,
    private readonly _unwatch: () => void
  ) {}

  /** Abort the request if it still runs, and stop watching edits. */
  cancel(): void {
    this.stream.abort();
    if (!this.controller.signal.aborted) {
      this.controller.abort();
    }
    this._unwatch();
  }

  /** The request ended by itself: only stop watching. */
  settle(): void {
    this._unwatch();
  }
}

const NO_SUGGESTION: IInlineCompletionList = { items: [] };

export class LocalAIInlineProvider implements IInlineCompletionProvider {
  readonly identifier = INLINE_PROVIDER_ID;
  readonly name = 'Local AI';
  readonly icon?: LabIcon.ILabIcon;

  /**
   * Settings shown under the provider in Settings > Inline Completer; `enabled`,
   * `debouncerDelay`, `timeout` and `autoFillInMiddle` are JupyterLab's own per provider.
   */
  readonly schema: ISettingRegistry.IProperty = {
    properties: {
      maxTokens: {
        title: 'Longest suggestion (tokens)',
        description: 'The most tokens one inline suggestion may have.',
        type: 'number',
        multipleOf: 1,
        minimum: 1,
        maximum: 512
      }
    },
    default: {
      enabled: true,
      debouncerDelay: 250,
      timeout: DEFAULT_TIMEOUT_MS,
      maxTokens: DEFAULT_MAX_TOKENS
    }
  };

  constructor(private readonly _options: IInlineProviderOptions) {
    this.icon = _options.icon;
  }

  /** JupyterLab passes this provider's settings (its own and the per-provider ones). */
  configure(settings: { [property: string]: JSONValue }): void {
    const maxTokens = settings.maxTokens;
    if (typeof maxTokens === 'number' && maxTokens >= 1) {
      this._maxTokens = Math.floor(maxTokens);
    }
    const timeout = settings.timeout;
    if (typeof timeout === 'number' && timeout > 0) {
      this._timeoutMs = timeout;
    }
  }

  /** The request in flight, if any (for tests and the lab's status). */
  get inFlight(): string | null {
    return this._current?.token ?? null;
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<IInlineCompletionList> {
    this._cancelCurrent();
    const generation = ++this._generation;
    const target = await this._options.target(request, context);
    if (
      !target ||
      generation !== this._generation ||
      target.source() !== request.text || // edited while the target was looked up
      this._isDisabled(target.sessionId)
    ) {
      return NO_SUGGESTION;
    }
    const flight = this._start(request, target);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>(resolve => {
      timer = setTimeout(resolve, this._timeoutMs);
    });
    await Promise.race([flight.stream.first(), timeout]);
    clearTimeout(timer);
    const stream = flight.stream;
    if (stream.state === 'waiting') {
      // Nothing within the provider's timeout: JupyterLab has given up on it too.
      this._end(flight, true);
      return NO_SUGGESTION;
    }
    if (stream.state === 'streaming') {
      flight.shown = stream.text;
      return {
        items: [{ insertText: stream.text, isIncomplete: true, token: flight.token }]
      };
    }
    this._flights.delete(flight.token); // ended already: `stream()` will not be asked
    if (stream.state === 'disabled') {
      this._disabledUntil.set(target.sessionId, this._now() + DISABLED_RETRY_MS);
    } else if (stream.state === 'error') {
      console.warn(`jupyter-localai: inline completion failed: ${stream.error}`);
    } else if (stream.state === 'done' && stream.text) {
      return { items: [{ insertText: stream.text }] };
    }
    return NO_SUGGESTION; // aborted, or done with no text: no suggestion
  }

  async *stream(token: string): AsyncGenerator<{ response: IInlineCompletionItem }> {
    const flight = this._flights.get(token);
    if (!flight) {
      return;
    }
    const stream = flight.stream;
    for await (const text of stream.updates(flight.shown)) {
      yield { response: { insertText: text } };
    }
    if (stream.state === 'error') {
      console.warn(`jupyter-localai: inline completion failed: ${stream.error}`);
      yield { response: { insertText: stream.text, error: { message: stream.error } } };
    }
    this._flights.delete(token);
  }

  /** Abort what is in flight (the lab calls this when it unloads). */
  dispose(): void {
    this._generation++;
    this._cancelCurrent();
  }

  private _start(request: CompletionHandler.IRequest, target: ICompletionTarget): Flight {
    const token = this._newId();
    const stream = new SuggestionStream();
    const controller = new AbortController();
    const onEdit = () => {
      if (target.source() !== request.text) {
        this._end(flight, true);
      }
    };
    target.sourceChanged.connect(onEdit);
    const flight = new Flight(token, stream, controller, () =>
      target.sourceChanged.disconnect(onEdit)
    );
    this._current = flight;
    this._flights.set(token, flight);
    const { prefix, suffix } = splitAtCursor(request);
    const body: ICompleteBody = {
      request_id: token,
      session_id: target.sessionId,
      prefix,
      suffix,
      context: target.context,
      max_tokens: this._maxTokens
    };
    this._options
      .complete(body, event => stream.push(event), controller.signal)
      .then(
        () => stream.fail('the stream ended without a final event'),
        (reason: unknown) => {
          if (!controller.signal.aborted) {
            stream.fail((reason as Error)?.message ?? String(reason));
          }
        }
      )
      .finally(() => this._end(flight, false));
    return flight;
  }

  /** Finish `flight`: abort it when `cancel`; an aborted one has nothing left to pull. */
  private _end(flight: Flight, cancel: boolean): void {
    if (cancel) {
      flight.cancel();
    } else {
      flight.settle();
    }
    if (this._current === flight) {
      this._current = null;
    }
    if (flight.stream.state === 'aborted') {
      this._flights.delete(flight.token);
    }
  }

  private _cancelCurrent(): void {
    if (this._current) {
      this._end(this._current, true);
    }
  }

  private _isDisabled(sessionId: string): boolean {
    const until = this._disabledUntil.get(sessionId);
    if (until === undefined) {
      return false;
    }
    if (this._now() >= until) {
      this._disabledUntil.delete(sessionId);
      return false;
    }
    return true;
  }

  private _newId(): string {
    return this._options.newId?.() ?? `inline-${Date.now()}-${++this._counter}`;
  }

  private _now(): number {
    return this._options.now?.() ?? Date.now();
  }

  private _current: Flight | null = null;
  private _flights = new Map<string, Flight>();
  private _disabledUntil = new Map<string, number>();
  private _generation = 0;
  private _counter = 0;
  private _maxTokens = DEFAULT_MAX_TOKENS;
  private _timeoutMs = DEFAULT_TIMEOUT_MS;
}
