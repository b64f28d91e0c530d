/**
 * The panel's agent run: started from the "Agent" task with a goal, run in the notebook's
 * kernel (`agentKernel.ts`), shown with the agent view. New steps go below the cell that
 * was active when the run started; Stop interrupts the kernel (the run ends with the steps
 * that ran so far).
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { AgentKernelError, runAgentInKernel } from './agentKernel';
import { agentNotebook } from './agentNotebook';
import { AGENT_JSON_VERSION, IAgentRun } from './agentRun';
import { AgentViewModel } from './agentState';
import { IKernelLike } from './kernelAsk';
import { ReviewModel } from './review';

/** The run shown before the kernel's first report: the goal, working. */
export function startingRun(goal: string): IAgentRun {
  return {
    version: AGENT_JSON_VERSION,
    goal,
    model: '',
    status: 'running',
    message: null,
    plan: [],
    steps: [],
    copy: { step_timeout_s: 0, network: false, writes_files: false, processes: false },
    timings: { total_s: 0, model_s: 0, copy_s: 0 }
  };
}

export class AgentSession {
  constructor(
    private readonly _review: ReviewModel | null = null,
    private readonly _activate: (panel: NotebookPanel) => void = () => undefined
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The view of the current run (null before the first). */
  get view(): AgentViewModel | null {
    return this._view;
  }

  get busy(): boolean {
    return this._running;
  }

  get stopping(): boolean {
    return this._stopping;
  }

  /** Why the last run could not be shown, if it could not. */
  get error(): string {
    return this._error;
  }

  /** The notebook the current run belongs to. */
  get path(): string | null {
    return this._path;
  }

  /** Run the agent on `goal` in `panel`'s kernel; resolves once the run has ended. */
  async start(goal: string, panel: NotebookPanel): Promise<IAgentRun | null> {
    if (this.busy) {
      return null;
    }
    const kernel: IKernelLike | null = panel.sessionContext.session?.kernel ?? null;
    const anchor = panel.content.activeCell?.model.id ?? null;
    const view = new AgentViewModel(
      startingRun(goal),
      () => (panel.isDisposed ? null : agentNotebook(panel, () => this._activate(panel))),
      anchor,
      this._review
    );
    this._view = view;
    this._error = '';
    this._path = panel.context.path;
    this._kernel = kernel;
    this._running = true;
    this._stopping = false;
    this._changed.emit();
    try {
      const run = await runAgentInKernel(kernel, goal, report => view.setRun(report));
      if (run.status === 'running') {
        // The kernel ended the request without a final report (it was interrupted hard).
        view.setRun({ ...run, status: 'stopped', message: run.message ?? 'The run ended early.' });
      }
      return view.run;
    } catch (reason) {
      this._error =
        reason instanceof AgentKernelError ? reason.message : String((reason as Error)?.message ?? reason);
      view.setRun({ ...view.run, status: 'stopped' });
      return null;
    } finally {
      this._kernel = null;
      this._running = false;
      this._stopping = false;
      this._changed.emit();
    }
  }

  /** Interrupt the kernel: the run ends with what ran so far. */
  stop(): void {
    const kernel = this._kernel;
    if (!kernel || this._stopping) {
      return;
    }
    this._stopping = true;
    this._changed.emit();
    kernel.interrupt().catch(reason => {
      this._error = `The kernel could not be interrupted: ${(reason as Error)?.message ?? reason}`;
      this._changed.emit();
    });
  }

  /** Forget the shown run (not while one runs). */
  clear(): void {
    if (this.busy) {
      return;
    }
    this._view = null;
    this._error = '';
    this._path = null;
    this._changed.emit();
  }

  private _view: AgentViewModel | null = null;
  private _kernel: IKernelLike | null = null;
  private _running = false;
  private _stopping = false;
  private _error = '';
  private _path: string | null = null;
  private _changed = new Signal<this, void>(this);
}
