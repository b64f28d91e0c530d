/**
 * Keeps the active notebook's context current: on switching notebooks, moving the
 * active cell, and after cells run (debounced), it reads the document's cells and asks
 * the kernel for its variables. The chips show what this holds; sending uses it as is.
 */
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import {
  applySelection,
  cellsFromDocument,
  EMPTY_CONTEXT,
  FULL_SELECTION,
  IContextSelection,
  IDocumentCell,
  mergeContexts
} from './context';
import { fetchKernelContext } from './kernelContext';
import { INotebookContext } from './types';

const REFRESH_DELAY_MS = 400;

export class ContextProvider {
  constructor(private readonly _tracker: INotebookTracker) {
    _tracker.currentChanged.connect(this._onCurrentChanged, this);
    _tracker.activeCellChanged.connect(() => this.scheduleRefresh(), this);
    NotebookActions.executed.connect((_, args) => {
      if (args.notebook === this._tracker.currentWidget?.content) {
        this.scheduleRefresh();
      }
    }, this);
    this._onCurrentChanged();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The whole context of the active notebook (before the user's removals). */
  get context(): INotebookContext {
    return this._context;
  }

  get selection(): IContextSelection {
    return this._selection;
  }

  set selection(value: IContextSelection) {
    this._selection = value;
    this._changed.emit();
  }

  /** What would be sent now. */
  get selected(): INotebookContext {
    return applySelection(this._context, this._selection);
  }

  get notebook(): NotebookPanel | null {
    return this._tracker.currentWidget;
  }

  get path(): string | null {
    return this._tracker.currentWidget?.context.path ?? null;
  }

  /** Why the kernel's part is missing, if it is. */
  get note(): string {
    return this._note;
  }

  get loading(): boolean {
    return this._loading;
  }

  scheduleRefresh(): void {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  /** Read the document and the kernel again; `request` helps the kernel rank variables. */
  async refresh(request = ''): Promise<INotebookContext> {
    clearTimeout(this._timer);
    const panel = this._tracker.currentWidget;
    const generation = ++this._generation;
    if (!panel) {
      this._context = EMPTY_CONTEXT;
      this._note = '';
      this._changed.emit();
      return this._context;
    }
    this._loading = true;
    this._changed.emit();
    const document = cellsFromDocument(
      documentCells(panel),
      panel.content.activeCellIndex
    );
    let kernelContext: INotebookContext | null = null;
    let note = '';
    const kernel = panel.sessionContext.session?.kernel;
    if (!kernel) {
      note = 'No kernel is running: variables are not shown.';
    } else {
      try {
        kernelContext = await fetchKernelContext(kernel, request);
      } catch (reason) {
        note = (reason as Error).message;
      }
    }
    if (generation === this._generation) {
      this._context = mergeContexts(document, kernelContext);
      this._note = note;
      this._loading = false;
      this._changed.emit();
    }
    return this._context;
  }

  dispose(): void {
    clearTimeout(this._timer);
    Signal.clearData(this);
  }

  private _onCurrentChanged(): void {
    this._selection = FULL_SELECTION;
    this._context = EMPTY_CONTEXT;
    const panel = this._tracker.currentWidget;
    if (panel) {
      // The kernel may still be starting: refresh once the session is ready.
      panel.sessionContext.ready
        .then(() => {
          if (this._tracker.currentWidget === panel) {
            this.scheduleRefresh();
          }
        })
        .catch(reason => console.warn('jupyter-localai: session failed', reason));
    }
    this._changed.emit();
    this.scheduleRefresh();
  }

  private _context: INotebookContext = EMPTY_CONTEXT;
  private _selection: IContextSelection = FULL_SELECTION;
  private _note = '';
  private _loading = false;
  private _generation = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _changed = new Signal<this, void>(this);
}

/** The cells of `panel` as the document holds them. */
export function documentCells(panel: NotebookPanel): IDocumentCell[] {
  return panel.content.widgets.map(cell => {
    const json = cell.model.toJSON() as {
      cell_type: string;
      execution_count?: number | null;
      outputs?: { [key: string]: unknown }[];
    };
    return {
      cellType: json.cell_type,
      source: cell.model.sharedModel.getSource(),
      executionCount: json.execution_count ?? null,
      outputs: json.outputs ?? []
    };
  });
}
