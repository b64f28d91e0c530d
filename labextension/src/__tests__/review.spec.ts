import { YCodeCell } from '@jupyter/ydoc';

import { IReplaceableSource, IReview, replaceAsOneStep, ReviewModel } from '../review';

function cellWith(source: string): YCodeCell {
  const cell = YCodeCell.create();
  cell.setSource(source);
  cell.undoManager?.stopCapturing();
  return cell;
}

function reviewOf(cell: IReplaceableSource | null, oldSource: string, newSource: string) {
  const revealed: number[] = [];
  const review: IReview = {
    label: 'cell 1',
    oldSource,
    newSource,
    target: { resolve: () => cell, reveal: () => revealed.push(1) }
  };
  return { review, revealed };
}

describe('replaceAsOneStep', () => {
  it('is one undo step: undo gives the old source back, redo the new', () => {
    const cell = cellWith('x = df["temperature"]');
    cell.updateSource(0, 0, '# note\n'); // an edit just before, within the capture window
    replaceAsOneStep(cell, 'x = df["temp"]\nprint(x)');
    expect(cell.getSource()).toBe('x = df["temp"]\nprint(x)');
    cell.undo();
    expect(cell.getSource()).toBe('# note\nx = df["temperature"]');
    cell.redo();
    expect(cell.getSource()).toBe('x = df["temp"]\nprint(x)');
  });
});

describe('ReviewModel', () => {
  it('accept replaces the cell and reveals it; reject changes nothing', () => {
    const cell = cellWith('old');
    const model = new ReviewModel();
    const { review, revealed } = reviewOf(cell, 'old', 'new');
    model.open(review);
    model.reject();
    expect(model.current).toBeNull();
    expect(cell.getSource()).toBe('old');

    model.open(review);
    expect(model.accept()).toBe(true);
    expect(cell.getSource()).toBe('new');
    expect(revealed).toEqual([1]);
    expect(model.current).toBeNull();
  });

  it('refuses a cell edited after the diff was made, and shows the new diff', () => {
    const cell = cellWith('old');
    const model = new ReviewModel();
    model.open(reviewOf(cell, 'old', 'new').review);
    cell.setSource('edited by hand');
    expect(model.accept()).toBe(false);
    expect(cell.getSource()).toBe('edited by hand');
    expect(model.current?.oldSource).toBe('edited by hand');
    expect(model.note).toMatch(/changed/);
    expect(model.accept()).toBe(true);
    expect(cell.getSource()).toBe('new');
  });

  it('says so when the cell is gone', () => {
    const model = new ReviewModel();
    model.open(reviewOf(null, 'old', 'new').review);
    expect(model.accept()).toBe(false);
    expect(model.note).toMatch(/gone/);
  });
});
