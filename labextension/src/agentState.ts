/**
 * The state of one agent run's view: the run as the kernel last reported it, and what the
 * user decided for each step. Accepting is the only thing that changes the notebook: a
 * new step's cell is inserted below the agent's cell (after the step inserted before it),
 * not run; an edit replaces the source of the cell whose last run was `In[N]`, as one undo
 * step (`review.replaceAsOneStep`), and only when that cell still holds what the agent
 * read (otherwise the panel's review shows the diff against what it holds now). Running a
 * cell happens only on the explicit "Accept and run". Rejecting changes nothing.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { Decision, IAgentRun, IAgentStep, isOffered } from './agentRun';
import { IReplaceableSource, replaceAsOneStep, ReviewModel } from './review';

/** The notebook an agent view acts on (the real one is in `agentNotebook.ts`). */
export interface IAgentNotebook {
  /** Its name, for notes. */
  readonly label: string;
  /**
   * Insert a code cell holding `code` below the cell `afterId` (null or a cell that is
   * gone: below the active cell); returns the new cell's id. Nothing runs.
   */
  insertAfter(afterId: string | null, code: string): string;
  /** The code cell whose last run had `executionCount`, or null. */
  findExecuted(executionCount: number): { id: string; source: IReplaceableSource } | null;
  /** Select the cell (after a change, so the user sees it). */
  reveal(cellId: string): void;
  /** Run the cell: only on "Accept and run", an explicit action of the user. */
  run(cellId: string): Promise<void>;
}

export class AgentViewModel {
  /**
   * `notebook` finds the notebook at the moment of a decision (null: not open now);
   * `anchorId` is the cell new steps go below (the `%%ai agent` cell, or the active cell
   * when the panel started the run); `review` takes an edit whose cell has changed since.
   */
  constructor(
    run: IAgentRun,
    private readonly _notebook: () => IAgentNotebook | null,
    private _anchorId: string | null = null,
    private readonly _review: ReviewModel | null = null
  ) {
    this._run = run;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get run(): IAgentRun {
    return this._run;
  }

  /** A newer report of the same run (the kernel updates its display as it goes). */
  setRun(run: IAgentRun): void {
    this._run = run;
    this._changed.emit();
  }

  /** What the last action said (an error or a warning), for the view; empty if nothing. */
  get note(): string {
    return this._note;
  }

  get noteIsError(): boolean {
    return this._noteIsError;
  }

  /** The user's decision: what they chose here, else what the run says (the kernel's). */
  decision(step: IAgentStep): Decision {
    return this._decisions.get(step.index) ?? step.decision;
  }

  /** Steps that can still be accepted or rejected. */
  pending(): IAgentStep[] {
    return this._run.steps.filter(s => isOffered(s) && this.decision(s) === 'pending');
  }

  /** Whether an action is under way (buttons are disabled meanwhile). */
  get busy(): boolean {
    return this._busy;
  }

  /**
   * Put step `index` into the notebook (and run it when `run` is true, the user's explicit
   * "Accept and run"). False when nothing changed; the note says why.
   */
  async accept(index: number, run = false): Promise<boolean> {
    if (this._busy) {
      return false;
    }
    this._busy = true;
    try {
      return await this._accept(index, run);
    } finally {
      this._busy = false;
      this._changed.emit();
    }
  }

  /** Accept every step still pending, in order (stops at the first that cannot be). */
  async acceptAll(): Promise<number> {
    let accepted = 0;
    for (const step of this.pending()) {
      if (!(await this.accept(step.index))) {
        return accepted;
      }
      accepted += 1;
    }
    if (accepted) {
      this._say(
        `Accepted ${accepted} step${accepted > 1 ? 's' : ''}: the cells are in the notebook, not run.`
      );
    } else {
      this._say('No step is left to accept.', true);
    }
    return accepted;
  }

  /** Reject step `index`: only the decision is kept; the notebook does not change. */
  reject(index: number): void {
    const step = this._run.steps.find(s => s.index === index);
    if (!step || this.decision(step) !== 'pending') {
      return;
    }
    this._decisions.set(index, 'rejected');
    this._say(`Rejected step ${index}: nothing in the notebook changed.`);
  }

  rejectAll(): void {
    const steps = this._run.steps.filter(s => this.decision(s) === 'pending');
    for (const step of steps) {
      this._decisions.set(step.index, 'rejected');
    }
    this._say(
      steps.length
        ? 'Rejected every pending step: nothing in the notebook changed.'
        : 'No step is left to reject.'
    );
  }

  private async _accept(index: number, run: boolean): Promise<boolean> {
    const step = this._run.steps.find(s => s.index === index);
    if (!step) {
      this._say(`There is no step ${index} in this run.`, true);
      return false;
    }
    if (!isOffered(step)) {
      this._say(`Step ${index} did not run in the copy, so it is not offered.`, true);
      return false;
    }
    if (this.decision(step) !== 'pending') {
      this._say(`Step ${index} is already ${this.decision(step)}.`, true);
      return false;
    }
    const notebook = this._notebook();
    if (!notebook) {
      this._say('The notebook of this run is not open: nothing was changed.', true);
      return false;
    }
    const skipped = this._run.steps
      .filter(s => s.index < index && isOffered(s) && this.decision(s) !== 'accepted')
      .map(s => s.index);
    let cellId: string;
    try {
      const placed = step.target ? this._applyEdit(notebook, step) : this._insert(notebook, step);
      if (placed === null) {
        return false;
      }
      cellId = placed;
    } catch (reason) {
      this._say(`Step ${index} could not be put in the notebook: ${(reason as Error).message}`, true);
      return false;
    }
    this._decisions.set(index, 'accepted');
    const warning = skipped.length
      ? ` It was rehearsed after step ${skipped.join(', ')}, which you have not accepted: ` +
        'run that first, or expect a different result.'
      : '';
    if (run) {
      this._say(`Accepted step ${index}; running it now.${warning}`, !!warning);
      this._changed.emit();
      try {
        await notebook.run(cellId);
      } catch (reason) {
        this._say(`Step ${index} was accepted, but running it failed: ${(reason as Error).message}`, true);
      }
      return true;
    }
    const where = step.target ? `In[${step.target.execution_count}] now holds it` : 'it is in a new cell';
    this._say(`Accepted step ${index}: ${where}, not run.${warning}`, !!warning);
    return true;
  }

  private _insert(notebook: IAgentNotebook, step: IAgentStep): string {
    const id = notebook.insertAfter(this._anchorId, step.code);
    this._anchorId = id; // the next accepted step goes below this one
    notebook.reveal(id);
    return id;
  }

  /** Replace In[N]'s source as one undo step; null (with a note) when that cannot be done. */
  private _applyEdit(notebook: IAgentNotebook, step: IAgentStep): string | null {
    const target = step.target!;
    const name = `In[${target.execution_count}]`;
    const found = notebook.findExecuted(target.execution_count);
    if (!found) {
      this._say(
        `Step ${step.index} edits ${name}, but no cell of ${notebook.label} was last run as ` +
          `${name} now (it was run again, or deleted): nothing was replaced.`,
        true
      );
      return null;
    }
    const now = found.source.getSource();
    if (now !== target.source) {
      if (this._review) {
        this._review.open({
          label: `${name} of ${notebook.label} (agent step ${step.index})`,
          oldSource: now,
          newSource: step.code,
          target: {
            resolve: () => notebook.findExecuted(target.execution_count)?.source ?? null,
            reveal: () => notebook.reveal(found.id)
          }
        });
      }
      this._say(
        `${name} changed since the agent read it: ` +
          (this._review
            ? 'review the diff against what it holds now in the panel.'
            : 'nothing was replaced.'),
        true
      );
      return null;
    }
    replaceAsOneStep(found.source, step.code); // one undo step, as the review's Accept
    notebook.reveal(found.id);
    return found.id;
  }

  private _say(text: string, isError = false): void {
    this._note = text;
    this._noteIsError = isError;
    this._changed.emit();
  }

  private _run: IAgentRun;
  private _decisions = new Map<number, Decision>();
  private _note = '';
  private _noteIsError = false;
  private _busy = false;
  private _changed = new Signal<this, void>(this);
}
