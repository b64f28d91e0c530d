/**
 * The "Local AI" side panel: model status and picker, the conversation of the active
 * notebook with streamed answers, context chips, and the input with Send / Stop.
 *
 * This widget keeps the task picker and the Verify box; the view is in `components/`, and
 * who answers (the server, or the kernel for a verified fix) is decided in `model.ts`.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { ICodeActions } from './components/CodeBlock';
import { PanelView } from './components/PanelView';
import { ContextProvider } from './contextProvider';
import { ChatModel, ISendOptions } from './model';
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
}

export class LocalAIPanel extends ReactWidget {
  constructor(private readonly _options: IPanelOptions) {
    super();
    this.id = 'jupyter-localai-panel';
    this.addClass('jp-localai-panel');
    this.title.caption = 'Local AI';
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
    this._changed.emit();
  }

  /** Whether a fix is verified in a copy of the kernel (the Verify box). */
  get verify(): boolean {
    return this._verify;
  }

  set verify(value: boolean) {
    this._verify = value;
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
    return <PanelView {...this._options} widget={this} />;
  }

  private _task: Task = 'chat';
  private _verify = false;
  private _changed = new Signal<this, void>(this);
}
