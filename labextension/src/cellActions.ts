/**
 * Put an answer's code into a notebook, only when the user clicks: insert a new code
 * cell below a given cell, or replace a cell's source. Nothing is ever run here.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

export class NoNotebookError extends Error {
  constructor() {
    super('Open a notebook and select a cell first.');
  }
}

/** Insert `code` as a new code cell below the cell at `index` (the active cell by default). */
export function insertBelow(
  notebook: Notebook,
  code: string,
  index: number = notebook.activeCellIndex
): Cell | null {
  if (index >= 0 && index < notebook.widgets.length) {
    notebook.activeCellIndex = index;
  }
  NotebookActions.insertBelow(notebook);
  if (notebook.activeCell?.model.type !== 'code') {
    NotebookActions.changeCellType(notebook, 'code');
  }
  const cell = notebook.activeCell;
  cell?.model.sharedModel.setSource(code);
  return cell;
}

/** Replace the source of the cell at `index` (the active cell by default). */
export function replaceCell(
  notebook: Notebook,
  code: string,
  index: number = notebook.activeCellIndex
): Cell | null {
  const cell = notebook.widgets[index] ?? null;
  if (!cell) {
    return null;
  }
  notebook.activeCellIndex = index;
  cell.model.sharedModel.setSource(code);
  return cell;
}

export function copyCode(code: string): void {
  Clipboard.copyToSystem(code);
}

/** The notebook the panel acts on: the tracker's current one. */
export function currentNotebook(tracker: INotebookTracker): NotebookPanel {
  const panel = tracker.currentWidget;
  if (!panel) {
    throw new NoNotebookError();
  }
  return panel;
}

/** The notebook and cell index that contain a DOM node (a rendered output). */
export function locateNode(
  tracker: INotebookTracker,
  node: HTMLElement
): { panel: NotebookPanel; index: number } | null {
  const panel = tracker.find(p => p.node.contains(node));
  if (!panel) {
    return null;
  }
  const index = panel.content.widgets.findIndex(cell => cell.node.contains(node));
  return index >= 0 ? { panel, index } : null;
}
