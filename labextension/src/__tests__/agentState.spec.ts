import { YCodeCell } from '@jupyter/ydoc';

import { IAgentRun, readAgentRun } from '../agentRun';
import { AgentViewModel, IAgentNotebook } from '../agentState';
import { ReviewModel } from '../review';
import { sampleRun } from './agentFixture';

interface IFakeCell {
  id: string;
  executionCount: number | null;
  model: YCodeCell;
}

/** A notebook of YCodeCells (the shared model the real cells have), recording actions. */
class FakeNotebook implements IAgentNotebook {
  label = 'data.ipynb';
  cells: IFakeCell[] = [];
  ran: string[] = [];
  revealed: string[] = [];
  private _next = 0;

  add(source: string, executionCount: number | null = null): IFakeCell {
    const model = YCodeCell.create();
    model.setSource(source);
    model.undoManager?.stopCapturing();
    const cell = { id: `c${this._next++}`, executionCount, model };
    this.cells.push(cell);
    return cell;
  }

  sources(): string[] {
    return this.cells.map(c => c.model.getSource());
  }

  insertAfter(afterId: string | null, code: string): string {
    const at = this.cells.findIndex(c => c.id === afterId);
    const cell = this.add(code);
    this.cells.pop();
    this.cells.splice(at >= 0 ? at + 1 : this.cells.length, 0, cell);
    return cell.id;
  }

  findExecuted(executionCount: number) {
    const cell = this.cells.find(c => c.executionCount === executionCount);
    return cell ? { id: cell.id, source: cell.model } : null;
  }

  reveal(cellId: string): void {
    this.revealed.push(cellId);
  }

  async run(cellId: string): Promise<void> {
    this.ran.push(cellId);
  }
}

function setup(run: IAgentRun = readAgentRun(sampleRun())) {
  const notebook = new FakeNotebook();
  notebook.add('values = [3, 1, 2', 1); // In[1], the cell step 2 edits
  const agentCell = notebook.add('%%ai agent\nload the data and plot it', 2);
  notebook.add('# a later cell');
  const review = new ReviewModel();
  const model = new AgentViewModel(run, () => notebook, agentCell.id, review);
  return { notebook, model, review, agentCell };
}

describe('AgentViewModel', () => {
  it('inserts accepted new steps below the agent cell, in order, without running them', async () => {
    const { notebook, model } = setup();
    expect(await model.accept(1)).toBe(true);
    expect(await model.accept(3)).toBe(true);
    expect(notebook.sources()).toEqual([
      'values = [3, 1, 2',
      '%%ai agent\nload the data and plot it',
      'import pandas as pd\ndf = pd.DataFrame({"a": [1, 2]})\ndf.head()',
      'df.plot()',
      '# a later cell'
    ]);
    expect(notebook.ran).toEqual([]);
    expect(model.decision(model.run.steps[0])).toBe('accepted');
    expect(model.pending().map(s => s.index)).toEqual([2]);
  });

  it('warns when a step is accepted without the earlier steps it was rehearsed after', async () => {
    const { model } = setup();
    await model.accept(3);
    expect(model.noteIsError).toBe(true);
    expect(model.note).toMatch(/after step 1, 2/);
    await model.accept(1);
    expect(model.note).not.toMatch(/rehearsed after/);
  });

  it('applies an edit of In[N] as one undo step', async () => {
    const { notebook, model } = setup();
    expect(await model.accept(2)).toBe(true);
    const edited = notebook.cells[0].model;
    expect(edited.getSource()).toBe('values = [3, 1, 2]\n');
    expect(notebook.cells).toHaveLength(3); // replaced, nothing inserted
    expect(notebook.ran).toEqual([]);
    edited.undo();
    expect(edited.getSource()).toBe('values = [3, 1, 2');
  });

  it('shows the diff in the review when In[N] changed since the agent read it', async () => {
    const { notebook, model, review } = setup();
    notebook.cells[0].model.setSource('values = [3, 1, 2, 5');
    expect(await model.accept(2)).toBe(false);
    expect(notebook.cells[0].model.getSource()).toBe('values = [3, 1, 2, 5');
    expect(review.current?.oldSource).toBe('values = [3, 1, 2, 5');
    expect(review.current?.newSource).toBe('values = [3, 1, 2]\n');
    expect(model.decision(model.run.steps[1])).toBe('pending');
    expect(model.note).toMatch(/In\[1\] changed/);
    // Accepting in the review replaces the cell then.
    expect(review.accept()).toBe(true);
    expect(notebook.cells[0].model.getSource()).toBe('values = [3, 1, 2]\n');
  });

  it('replaces nothing when no cell was last run as In[N]', async () => {
    const { notebook, model } = setup();
    notebook.cells[0].executionCount = 7; // run again since
    const before = notebook.sources();
    expect(await model.accept(2)).toBe(false);
    expect(notebook.sources()).toEqual(before);
    expect(model.note).toMatch(/no cell of data.ipynb was last run as In\[1\]/);
  });

  it('rejecting changes nothing in the notebook and takes the step off offer', async () => {
    const { notebook, model } = setup();
    const before = notebook.sources();
    model.reject(1);
    expect(notebook.sources()).toEqual(before);
    expect(model.decision(model.run.steps[0])).toBe('rejected');
    expect(await model.accept(1)).toBe(false);
    expect(notebook.sources()).toEqual(before);
    model.rejectAll();
    expect(model.pending()).toEqual([]);
    expect(notebook.sources()).toEqual(before);
  });

  it('accepts all pending steps in order, skipping rejected ones', async () => {
    const { notebook, model } = setup();
    model.reject(1);
    expect(await model.acceptAll()).toBe(2);
    expect(notebook.sources()).toEqual([
      'values = [3, 1, 2]\n',
      '%%ai agent\nload the data and plot it',
      'df.plot()',
      '# a later cell'
    ]);
    expect(notebook.ran).toEqual([]);
    expect(await model.acceptAll()).toBe(0);
  });

  it('runs a cell only on "accept and run", and only that cell', async () => {
    const { notebook, model } = setup();
    await model.accept(1, true);
    expect(notebook.ran).toEqual([notebook.cells[2].id]);
    expect(notebook.cells[2].model.getSource()).toMatch(/^import pandas/);
  });

  it('offers no step that did not run in the copy', async () => {
    const raw = sampleRun();
    const steps = raw.steps as { [key: string]: unknown }[];
    const run = readAgentRun({ ...raw, status: 'failed', steps: [{ ...steps[0], status: 'failed' }] });
    const { notebook, model } = setup(run);
    const before = notebook.sources();
    expect(model.pending()).toEqual([]);
    expect(await model.accept(1)).toBe(false);
    expect(model.note).toMatch(/did not run in the copy/);
    expect(notebook.sources()).toEqual(before);
  });

  it('changes nothing when the notebook is not open', async () => {
    const model = new AgentViewModel(readAgentRun(sampleRun()), () => null);
    expect(await model.accept(1)).toBe(false);
    expect(model.note).toMatch(/not open/);
    expect(model.decision(model.run.steps[0])).toBe('pending');
  });

  it('keeps the decisions when the kernel reports the run again', async () => {
    const { model } = setup();
    model.reject(3);
    model.setRun(readAgentRun(sampleRun()));
    expect(model.decision(model.run.steps[2])).toBe('rejected');
  });
});
