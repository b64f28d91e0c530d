/**
 * Ask the notebook's kernel for its NotebookContext, silently: no execution count, no
 * history entry, and no output in any cell (outputs only go to this request's future).
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { kernelContextCode, parseKernelContext } from './context';
import { INotebookContext } from './types';

export class KernelContextError extends Error {}

export async function fetchKernelContext(
  kernel: Kernel.IKernelConnection,
  requestText: string,
  timeoutMs = 5000
): Promise<INotebookContext> {
  const future = kernel.requestExecute(
    {
      code: kernelContextCode(requestText),
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    },
    true
  );
  let stdout = '';
  let error = '';
  future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
    if (KernelMessage.isStreamMsg(msg) && msg.content.name === 'stdout') {
      stdout += msg.content.text;
    } else if (KernelMessage.isErrorMsg(msg)) {
      error = `${msg.content.ename}: ${msg.content.evalue}`;
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new KernelContextError(
          `The kernel did not answer within ${timeoutMs / 1000} s (is it busy?).`
        )
      );
    }, timeoutMs);
  });
  try {
    const reply = await Promise.race([future.done, timeout]);
    if (reply && reply.content.status !== 'ok' && !error) {
      error = 'the kernel reported an error';
    }
  } finally {
    clearTimeout(timer);
  }
  if (error) {
    throw new KernelContextError(
      error.startsWith('ModuleNotFoundError')
        ? 'jupyter-localai is not installed in this kernel\'s environment, so its variables are not shown.'
        : `The kernel could not summarize its variables: ${error}`
    );
  }
  try {
    return parseKernelContext(stdout);
  } catch (reason) {
    throw new KernelContextError(
      `The kernel's context is not readable: ${(reason as Error).message}`
    );
  }
}
