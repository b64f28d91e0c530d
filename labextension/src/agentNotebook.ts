/**
 * An open notebook as the agent view acts on it: insert a cell below another (found by
 * id, so cells added or moved meanwhile do not matter), find the cell last run as In[N],
 * and run a cell only when the user pressed "Accept and run".
 */
import { PathExt } from '@jupyterlab/coreutils';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

import { IAgentNotebook } from './agentState';
import { insertBelow } from './cellActions';
import { IReplaceableSource } from './review';

export function agentNotebook(
  panel: NotebookPanel,
  activate: () => void = () => undefined
): IAgentNotebook {
  const notebook = panel.content;
  const indexOf = (id: string | null) =>
    id === null ? -1 : notebook.widgets.findIndex(c => c.model.id === id);
  return {
    label: PathExt.basename(panel.context.path),
    insertAfter: (afterId, code) => {
      if (panel.isDisposed) {
        throw new Error('the notebook was closed');
      }
      const index = indexOf(afterId);
      const cell = insertBelow(notebook, code, index >= 0 ? index : notebook.activeCellIndex);
      if (!cell) {
        throw new Error('no cell was inserted');
      }
      return cell.model.id;
    },
    findExecuted: executionCount => {
      const cell = notebook.widgets.find(
        c =>
          c.model.type === 'code' &&
          (c.model as unknown as { executionCount: number | null }).executionCount ===
            executionCount
      );
      return cell
        ? {
            id: cell.model.id,
            source: cell.model.sharedModel as unknown as IReplaceableSource
          }
        : null;
    },
    reveal: id => {
      const index = indexOf(id);
      if (index >= 0) {
        activate();
        notebook.activeCellIndex = index;
        notebook.mode = 'command';
      }
    },
    run: async id => {
      const index = indexOf(id);
      if (index < 0) {
        throw new Error('the cell is gone');
      }
      notebook.activeCellIndex = index;
      notebook.deselectAll();
      await NotebookActions.run(notebook, panel.sessionContext);
    }
  };
}
