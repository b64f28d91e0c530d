/**
 * The verified fix: the panel's ask answered inside the notebook's kernel instead of the
 * server, so each candidate can run in a forked copy of the kernel (the server has no
 * kernel state to run it against). The kernel side is `jupyter_localai/kernel/panel_task.py`;
 * it prints the server's events (start, token, attempt, done or error) as JSON lines on
 * stdout of a silent execute request. Stop interrupts the kernel, which ends the answer
 * with a cancelled reply.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { ASK_EVENT_TYPES, isAbort } from './api';
import { pythonStringLiteral } from './context';
import { IChatBackend } from './model';
import { AskEvent, IAskBody } from './types';

export class KernelAskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelAskError';
  }
}

export const NO_KERNEL_MESSAGE =
  'No kernel is running for this notebook, and a verified fix runs its candidates in a ' +
  'copy of the kernel: start the kernel (Kernel ▸ Restart Kernel), run the failing cell, ' +
  'and ask again, or untick Verify to ask without verifying.';

export const MISSING_PACKAGE_MESSAGE =
  "jupyter-localai is not installed in this kernel's environment, so fixes cannot be " +
  'verified there: install it in that environment (`%pip install jupyter-localai`) and ' +
  'restart the kernel, or untick Verify to ask without verifying.';

export const OLD_PACKAGE_MESSAGE =
  "The jupyter-localai in this kernel's environment is older than the panel and cannot " +
  'verify fixes: upgrade it there and restart the kernel, or untick Verify.';

/** Python that answers `body` in the kernel, printing one event per line. */
export function kernelAskCode(body: IAskBody): string {
  return (
    '__import__("jupyter_localai.kernel.panel_task", fromlist=["_"])' +
    `.run_json(get_ipython(), ${pythonStringLiteral(JSON.stringify(body))})`
  );
}

/**
 * Splits the kernel's stdout (which arrives in pieces of any size) into lines and decodes
 * the event lines; anything else the kernel printed is kept aside, not shown as an event.
 */
export class KernelEventParser {
  /** Lines that were not events (a library's print, a warning), for error messages. */
  readonly other: string[] = [];

  feed(text: string): AskEvent[] {
    this._buffer += text;
    const lines = this._buffer.split('\n');
    this._buffer = lines.pop() ?? '';
    return this._decode(lines);
  }

  /** The last line, when the output did not end with a newline. */
  end(): AskEvent[] {
    const rest = this._buffer;
    this._buffer = '';
    return this._decode([rest]);
  }

  private _decode(lines: string[]): AskEvent[] {
    const events: AskEvent[] = [];
    for (const line of lines) {
      const event = parseEventLine(line);
      if (event) {
        events.push(event);
      } else if (line.trim()) {
        this.other.push(line);
      }
    }
    return events;
  }

  private _buffer = '';
}

/** One stdout line as an AskEvent; null for a line that is not one. */
export function parseEventLine(line: string): AskEvent | null {
  const text = line.trim();
  if (!text.startsWith('{')) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const type = (value as { type?: unknown } | null)?.type;
  return ASK_EVENT_TYPES.includes(type as string) ? (value as AskEvent) : null;
}

/** The parts of a kernel connection this backend uses (a fake one in the tests). */
export type IKernelLike = Pick<Kernel.IKernelConnection, 'requestExecute' | 'interrupt'>;

/** One ask sent to a kernel: Stop interrupts the kernel only while this ask runs there. */
interface IRunningAsk {
  kernel: IKernelLike;
  /** The kernel began this ask (its start event arrived): an interrupt now stops it. */
  started: boolean;
  finished: boolean;
  cancelRequested: boolean;
}

/** An IChatBackend that answers in the notebook's kernel, verifying code there. */
export class KernelAskBackend implements IChatBackend {
  /** `kernel` gives the active notebook's kernel connection, or null when none runs. */
  constructor(private readonly _kernel: () => IKernelLike | null | undefined) {}

  async ask(
    body: IAskBody,
    onEvent: (event: AskEvent) => void,
    signal: AbortSignal
  ): Promise<void> {
    const kernel = this._kernel();
    if (!kernel) {
      throw new KernelAskError(NO_KERNEL_MESSAGE);
    }
    const run: IRunningAsk = {
      kernel,
      started: false,
      finished: false,
      cancelRequested: false
    };
    this._running = run;
    const parser = new KernelEventParser();
    let failure = '';
    let ended = false;
    const deliver = (events: AskEvent[]) => {
      for (const event of events) {
        run.started ||= event.type === 'start';
        if (event.type === 'done' || event.type === 'error') {
          ended = run.finished = true;
        }
        if (!signal.aborted) {
          onEvent(event);
        }
        if (event.type === 'start' && run.cancelRequested) {
          // Stop was pressed while the ask waited behind a running cell.
          interrupt(run).catch(reason =>
            console.warn('jupyter-localai: interrupting the kernel failed', reason)
          );
        }
      }
    };
    let future: ReturnType<IKernelLike['requestExecute']>;
    try {
      future = kernel.requestExecute(
        {
          code: kernelAskCode(body),
          silent: true,
          store_history: false,
          allow_stdin: false,
          stop_on_error: false
        },
        true
      );
    } catch (reason) {
      run.finished = true;
      throw new KernelAskError(
        `The kernel cannot take the request (${(reason as Error).message}). ${NO_KERNEL_MESSAGE}`
      );
    }
    future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
      if (KernelMessage.isStreamMsg(msg) && msg.content.name === 'stdout') {
        deliver(parser.feed(msg.content.text));
      } else if (KernelMessage.isErrorMsg(msg)) {
        failure = `${msg.content.ename}: ${msg.content.evalue}`;
      }
    };
    const abort = abortPromise(signal);
    try {
      const reply = await Promise.race([future.done, abort.promise]);
      const content = reply?.content as { status?: string; ename?: string; evalue?: string };
      if (content?.status === 'error' && !failure) {
        failure = `${content.ename}: ${content.evalue}`;
      }
    } catch (reason) {
      if (isAbort(reason)) {
        throw reason;
      }
      run.finished = true;
      throw new KernelAskError(
        `The kernel stopped before the answer was complete (${(reason as Error)?.message ?? reason}): ` +
          'was it restarted or shut down?'
      );
    } finally {
      abort.dispose();
    }
    deliver(parser.end());
    run.finished = true;
    if (failure && !ended) {
      throw new KernelAskError(describeKernelFailure(failure));
    }
    if (!ended) {
      const printed = parser.other.join('\n').slice(0, 500);
      throw new KernelAskError(
        'The kernel ended the verified fix without an answer' +
          (printed ? `; it printed: ${printed}` : '.')
      );
    }
  }

  /**
   * Stop the ask in flight by interrupting the kernel (the ask ends with a cancelled
   * reply). An ask still waiting behind a running cell is interrupted once it starts, so
   * Stop never interrupts the user's own cell.
   */
  async cancel(_requestId: string): Promise<unknown> {
    const run = this._running;
    if (!run || run.finished) {
      return { cancelled: false };
    }
    run.cancelRequested = true;
    if (run.started) {
      await interrupt(run);
    }
    return { cancelled: true };
  }

  private _running: IRunningAsk | null = null;
}

async function interrupt(run: IRunningAsk): Promise<void> {
  if (!run.finished) {
    await run.kernel.interrupt();
  }
}

/** A readable sentence for an exception the kernel raised running the panel's call. */
export function describeKernelFailure(failure: string): string {
  const missing = /^ModuleNotFoundError: No module named '([\w.]+)'/.exec(failure)?.[1];
  if (missing === 'jupyter_localai') {
    return MISSING_PACKAGE_MESSAGE;
  }
  if (missing?.startsWith('jupyter_localai.')) {
    return OLD_PACKAGE_MESSAGE;
  }
  if (/^KeyboardInterrupt\b/.test(failure)) {
    return 'Stopped: the kernel was interrupted.';
  }
  return `The kernel could not run the verified fix: ${failure}`;
}

function abortPromise(signal: AbortSignal): {
  promise: Promise<never>;
  dispose: () => void;
} {
  let onAbort = () => undefined as void;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => {
      const error = new Error('The answer was stopped.');
      error.name = 'AbortError';
      reject(error);
    };
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
