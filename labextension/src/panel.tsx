/**
 * The "Local AI" side panel: model status and picker, the conversation of the active
 * notebook with streamed answers, context chips, and the input with Send / Stop.
 *
 * This widget keeps the task picker and the Verify box; the view is in `components/`, and
 * who answers (the server, or the kernel for a verified fix) is decided in `model.ts`.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IStateDB } from '@jupyterlab/statedb';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message as LuminoMessage } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { AgentSession } from './agentPanel';
import { ICodeActions } from './components/CodeBlock';
import { PanelView } from './components/PanelView';
import { ContextProvider } from './contextProvider';
import { ChatModel, ISendOptions } from './model';
import { PANEL_STATE_KEY, readPanelChoices } from './panelState';
import { ReviewModel } from './review';
import { TransContext } from './translation';
import { IChatMessage, Task } from './types';

export { ICodeActions } from './components/CodeBlock';
export { VERIFY_TITLE } from './components/Composer';
export { verifiedText } from './components/Message';

export interface IPanelOptions {
  chat: ChatModel;
  context: ContextProvider;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
  /** Milliseconds between status polls. */
  pollInterval: number;
  maxTokens: number;
  /** The pending replacement the panel shows as a diff with Accept / Reject. */
  review: ReviewModel;
  trans: TranslationBundle;
  /** Where the task picker and Verify box are kept with the workspace. */
  state?: IStateDB | null;
  /** The "Agent" task's run, and the notebook it runs on (the active one). */
  agent?: AgentSession | null;
  notebook?: () => NotebookPanel | null;
}

export class LocalAIPanel extends ReactWidget {
  constructor(private readonly _options: IPanelOptions) {
    super();
    this.id = 'jupyter-localai-panel';
    this.addClass('jp-localai-panel');
    this.node.tabIndex = -1;
    this.title.caption = _options.trans.__('Local AI');
    const state = _options.state;
    if (state) {
      this._restored = state
        .fetch(PANEL_STATE_KEY)
        .then(value => {
          const choices = readPanelChoices(value);
          if (choices) {
            this._task = choices.task ?? this._task;
            this._verify = choices.verify ?? this._verify;
            this._changed.emit();
          }
        })
        .catch(reason => console.warn('jupyter-localai: panel state not read', reason));
    }
  }

  /** Activating the panel (its tab, the Open command's shortcut) puts the caret in the input. */
  protected onActivateRequest(msg: LuminoMessage): void {
    super.onActivateRequest(msg);
    const focus = () => {
      const input = this.node.querySelector<HTMLTextAreaElement>('.jp-localai-input');
      if (input && !input.disabled) {
        input.focus();
      } else {
        this.node.focus();
      }
    };
    // The first render of the React view may still be pending.
    requestAnimationFrame(focus);
  }

  /** Resolves once the workspace's task and Verify state are read. */
  get restored(): Promise<void> {
    return this._restored;
  }

  /** Emitted when the task picker changes (re-renders the view). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get task(): Task {
    return this._task;
  }

  set task(value: Task) {
    this._task = value;
    this._save();
    this._changed.emit();
  }

  /** Whether a fix is verified in a copy of the kernel (the Verify box). */
  get verify(): boolean {
    return this._verify;
  }

  set verify(value: boolean) {
    this._verify = value;
    this._save();
    this._changed.emit();
  }

  /**
   * Send a question about the active notebook, with the context the chips show and the
   * Verify box's state (the chat model routes a verified fix to the notebook's kernel).
   */
  async ask(
    task: Task,
    prompt: string,
    extra: Pick<ISendOptions, 'display' | 'targetSource' | 'targetOutput'> = {}
  ): Promise<IChatMessage | null> {
    const { chat, context } = this._options;
    if (task === 'agent') {
      await this._runAgent(prompt);
      return null;
    }
    if (chat.busy) {
      return null;
    }
    chat.setPath(context.path);
    return chat.send({
      task,
      prompt,
      ...extra,
      context: context.selected,
      maxTokens: this._options.maxTokens,
      verify: this._verify // the model decides who answers (ChatModel.send)
    });
  }

  protected render(): JSX.Element {
    return (
      <TransContext.Provider value={this._options.trans}>
        <PanelView {...this._options} widget={this} />
      </TransContext.Provider>
    );
  }

  /** The "Agent" task: the goal runs in the active notebook's kernel (`agentPanel.ts`). */
  private async _runAgent(goal: string): Promise<void> {
    const { agent, notebook } = this._options;
    const panel = notebook?.() ?? null;
    if (!agent || !panel || agent.busy || this._options.chat.busy) {
      return;
    }
    await agent.start(goal, panel);
  }

  private _save(): void {
    this._options.state
      ?.save(PANEL_STATE_KEY, { task: this._task, verify: this._verify })
      .catch(reason => console.warn('jupyter-localai: panel state not saved', reason));
  }

  private _task: Task = 'chat';
  private _verify = false;
  private _restored: Promise<void> = Promise.resolve();
  private _changed = new Signal<this, void>(this);
}
