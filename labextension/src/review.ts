/**
 * Review before replace: an answer's code does not overwrite a cell until the user has
 * seen the diff and accepted it. Accepting is one undo step of the cell (Ctrl-Z gives the
 * old source back); nothing runs: the user runs the cell when they choose.
 */
import { ISignal, Signal } from '@lumino/signaling';

/** The part of a cell's shared model a replacement needs (`@jupyter/ydoc`'s cells have it). */
export interface IReplaceableSource {
  getSource(): string;
  setSource(value: string): void;
  transact(f: () => void, undoable?: boolean): void;
  readonly undoManager: { stopCapturing(): void } | null;
}

/**
 * Set the source in one transaction, fenced off from the edits before and after it so the
 * undo manager keeps it as its own step (it merges edits that come close together).
 */
export function replaceAsOneStep(source: IReplaceableSource, code: string): void {
  source.undoManager?.stopCapturing();
  source.transact(() => source.setSource(code), true);
  source.undoManager?.stopCapturing();
}

/** Where a review's cell is: resolved when the user accepts (the notebook may have changed). */
export interface IReviewTarget {
  /** The cell's shared model, or null when the cell is gone. */
  resolve(): IReplaceableSource | null;
  /** Selects the cell in its notebook (after accepting, so the user sees and can run it). */
  reveal(): void;
}

export interface IReview {
  /** How the view names the cell, e.g. "cell 3 of analysis.ipynb". */
  label: string;
  oldSource: string;
  newSource: string;
  target: IReviewTarget;
}

export class ReviewModel {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get current(): IReview | null {
    return this._current;
  }

  /** Why the last accept did nothing, for the view. */
  get note(): string {
    return this._note;
  }

  open(review: IReview): void {
    this._current = review;
    this._note = '';
    this._changed.emit();
  }

  reject(): void {
    this._current = null;
    this._note = '';
    this._changed.emit();
  }

  /**
   * Replace the cell's source with the reviewed code, if the cell is still there and
   * still holds what the diff showed (else the review is refreshed and nothing changes).
   */
  accept(): boolean {
    const review = this._current;
    if (!review) {
      return false;
    }
    const source = review.target.resolve();
    if (!source) {
      this._note = 'The cell is gone: nothing was replaced.';
      this._changed.emit();
      return false;
    }
    const now = source.getSource();
    if (now !== review.oldSource) {
      this._current = { ...review, oldSource: now };
      this._note = 'The cell changed since this diff was made: review it again.';
      this._changed.emit();
      return false;
    }
    replaceAsOneStep(source, review.newSource);
    review.target.reveal();
    this._current = null;
    this._note = '';
    this._changed.emit();
    return true;
  }

  private _current: IReview | null = null;
  private _note = '';
  private _changed = new Signal<this, void>(this);
}
