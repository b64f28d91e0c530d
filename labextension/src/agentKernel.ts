/**
 * The panel's "Agent" task: the goal goes to the notebook's kernel as `%%ai agent` would
 * (`jupyter_localai/kernel/agent/panel.py`) in a silent execute request, the same path as
 * the verified fix (`kernelAsk.ts`). The kernel's display of the run (display_data, then
 * update_display_data as it goes) carries the run's JSON; nothing lands in a cell and the
 * user's namespace is not touched (every step runs in a forked copy). Stop interrupts the
 * kernel, which ends the run with the steps that ran so far.
 */
import { KernelMessage } from '@jupyterlab/services';

import { AGENT_MIME_TYPE, IAgentRun, readAgentRun } from './agentRun';
import { pythonStringLiteral } from './context';
import { IKernelLike, parseEventLine } from './kernelAsk';

export const AGENT_NO_KERNEL_MESSAGE =
  'No kernel is running for this notebook, and the agent rehearses each step in a copy of ' +
  'the kernel: start the kernel (Kernel ▸ Restart Kernel) and ask again.';

/** Python that runs the agent on `goal` in the kernel. */
export function agentKernelCode(goal: string): string {
  return (
    '__import__("jupyter_localai.kernel.agent.panel", fromlist=["_"])' +
    `.run_json(get_ipython(), ${pythonStringLiteral(JSON.stringify({ goal }))})`
  );
}

/** The agent run in an IOPub message, or null for any other message. */
export function runOfMessage(msg: KernelMessage.IIOPubMessage): IAgentRun | null {
  const type = msg.header.msg_type;
  if (type !== 'display_data' && type !== 'update_display_data') {
    return null;
  }
  const data = (msg.content as { data?: { [mime: string]: unknown } }).data ?? {};
  return AGENT_MIME_TYPE in data ? readAgentRun(data[AGENT_MIME_TYPE]) : null;
}

export class AgentKernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentKernelError';
  }
}

/**
 * Run the agent on `goal` in `kernel`; `onRun` gets each report of the run. Resolves with
 * the last report; AgentKernelError says why there is none (or the run's JSON is bad).
 */
export async function runAgentInKernel(
  kernel: IKernelLike | null | undefined,
  goal: string,
  onRun: (run: IAgentRun) => void
): Promise<IAgentRun> {
  if (!kernel) {
    throw new AgentKernelError(AGENT_NO_KERNEL_MESSAGE);
  }
  let last: IAgentRun | null = null;
  let failure = '';
  let said = '';
  let bad = '';
  let future: ReturnType<IKernelLike['requestExecute']>;
  try {
    future = kernel.requestExecute(
      {
        code: agentKernelCode(goal),
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false
      },
      true
    );
  } catch (reason) {
    throw new AgentKernelError(
      `The kernel cannot take the request (${(reason as Error).message}). ${AGENT_NO_KERNEL_MESSAGE}`
    );
  }
  future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
    if (KernelMessage.isStreamMsg(msg) && msg.content.name === 'stdout') {
      for (const line of msg.content.text.split('\n')) {
        const event = parseEventLine(line);
        if (event?.type === 'error') {
          said = event.message;
        }
      }
    } else if (KernelMessage.isErrorMsg(msg)) {
      failure = `${msg.content.ename}: ${msg.content.evalue}`;
    } else {
      try {
        const run = runOfMessage(msg);
        if (run) {
          last = run;
          onRun(run);
        }
      } catch (reason) {
        bad = (reason as Error).message;
      }
    }
  };
  try {
    await future.done;
  } catch (reason) {
    throw new AgentKernelError(
      `The kernel stopped before the run ended (${(reason as Error)?.message ?? reason}): ` +
        'was it restarted or shut down?'
    );
  }
  if (last) {
    return last;
  }
  if (said) {
    throw new AgentKernelError(`The agent could not start: ${said}`);
  }
  if (bad) {
    throw new AgentKernelError(bad);
  }
  if (failure) {
    throw new AgentKernelError(describeAgentFailure(failure));
  }
  throw new AgentKernelError('The kernel ended the agent run without showing it.');
}

/** A readable sentence for an exception the kernel raised running the agent's call. */
export function describeAgentFailure(failure: string): string {
  const missing = /^ModuleNotFoundError: No module named '([\w.]+)'/.exec(failure)?.[1];
  if (missing === 'jupyter_localai' || missing?.startsWith('jupyter_localai.')) {
    return (
      "The jupyter-localai in this kernel's environment is missing or older than the panel, " +
      'so the agent cannot run there: install or upgrade it in that environment ' +
      '(`%pip install -U jupyter-localai`) and restart the kernel.'
    );
  }
  if (/^KeyboardInterrupt\b/.test(failure)) {
    return 'Stopped: the kernel was interrupted before the run began.';
  }
  return `The kernel could not run the agent: ${failure}`;
}
