/**
 * Wires Local AI's inline completion into JupyterLab: which editor a request comes from
 * (a code cell of a notebook with a Python kernel), the context it carries, and the
 * prefill of that context.
 *
 * The context is the panel's own: the kernel's variables come from the ContextProvider,
 * which reads them silently after cells run and when the active cell moves, so a
 * keystroke never calls the kernel. The cells are those before the edited one, so the
 * context stays the same while the user types in it. Each new reading (after cells ran,
 * or in another cell) is sent to `complete/prefill` when it differs from the last one
 * sent, so the server holds exactly the context the next keystroke's request carries.
 */
import {
  CompletionHandler,
  ICompletionProviderManager,
  IInlineCompletionContext
} from '@jupyterlab/completer';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { LabIcon } from '@jupyterlab/ui-components';

import { complete, prefillCompletion } from './completeApi';
import { cellsFromDocument, EMPTY_CONTEXT, mergeContexts } from './context';
import { ContextProvider, documentCells } from './contextProvider';
import { ICompletionTarget, LocalAIInlineProvider } from './inlineProvider';
import { INotebookContext } from './types';

/** The completion context of `panel`: its cells before the active one, the kernel's part. */
export function completionContext(
  panel: NotebookPanel,
  kernelPart: INotebookContext
): INotebookContext {
  const index = panel.content.activeCellIndex;
  const document =
    index > 0
      ? cellsFromDocument(documentCells(panel), index - 1)
      : { cells: [], lastError: null };
  return mergeContexts(document, kernelPart);
}

async function isPythonKernel(kernel: Kernel.IKernelConnection): Promise<boolean> {
  const info = await kernel.info;
  return info.language_info.name.toLowerCase() === 'python';
}

/** Completion targets and prefills for the notebooks of `tracker`. */
export class NotebookCompletion {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _contextProvider: ContextProvider
  ) {
    _contextProvider.changed.connect(this._onContextChanged, this);
  }

  /**
   * Where a request of the inline completer goes; null where Local AI does not complete,
   * and for a request whose text is not the active cell's any more (sent after a debounce
   * while the user moved on, say by running the cell: its context would be another's).
   */
  async target(
    request: CompletionHandler.IRequest,
    context: IInlineCompletionContext
  ): Promise<ICompletionTarget | null> {
    const panel = this._tracker.find(p => p === context.widget);
    const cell = panel?.content.activeCell;
    if (!panel || !cell || cell.model.type !== 'code') {
      return null;
    }
    const sharedModel = cell.model.sharedModel;
    if (sharedModel.getSource() !== request.text) {
      return null;
    }
    const kernel = context.session?.kernel ?? panel.sessionContext.session?.kernel;
    if (!kernel || !(await isPythonKernel(kernel))) {
      return null;
    }
    return {
      sessionId: panel.context.path,
      context: completionContext(panel, this._kernelPart(panel)),
      source: () => sharedModel.getSource(),
      sourceChanged: cell.model.contentChanged
    };
  }

  /** The kernel's part of the context last read for `panel` (cells are taken fresh). */
  private _kernelPart(panel: NotebookPanel): INotebookContext {
    return this._kernelParts.get(panel) ?? EMPTY_CONTEXT;
  }

  /** The ContextProvider read the kernel again: keep its part, and prefill the context. */
  private _onContextChanged(): void {
    const provider = this._contextProvider;
    const panel = provider.notebook;
    if (!panel || provider.loading || provider.context === EMPTY_CONTEXT) {
      return; // not read yet (a notebook just became current): keep the last reading
    }
    this._kernelParts.set(panel, provider.context);
    void this._prefill(panel);
  }

  private async _prefill(panel: NotebookPanel): Promise<void> {
    const kernel = panel.sessionContext.session?.kernel;
    try {
      if (!kernel || !(await isPythonKernel(kernel))) {
        return;
      }
      const context = completionContext(panel, this._kernelPart(panel));
      const key = JSON.stringify(context);
      if (this._prefilled.get(panel) === key) {
        return; // the server already holds exactly this context
      }
      this._prefilled.set(panel, key);
      await prefillCompletion(panel.context.path, context);
    } catch (reason) {
      this._prefilled.delete(panel);
      console.warn('jupyter-localai: the completion prefill failed', reason);
    }
  }

  private _kernelParts = new WeakMap<NotebookPanel, INotebookContext>();
  private _prefilled = new WeakMap<NotebookPanel, string>();
}

/** Register Local AI's inline completion provider with JupyterLab's completer. */
export function registerInlineCompletion(
  manager: ICompletionProviderManager,
  tracker: INotebookTracker,
  contextProvider: ContextProvider,
  icon?: LabIcon
): LocalAIInlineProvider {
  const notebooks = new NotebookCompletion(tracker, contextProvider);
  const provider = new LocalAIInlineProvider({
    complete: (body, onEvent, signal) => complete(body, onEvent, signal),
    target: (request, context) => notebooks.target(request, context),
    icon
  });
  manager.registerInlineProvider(provider);
  return provider;
}
