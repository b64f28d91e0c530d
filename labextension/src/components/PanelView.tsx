/** The panel's whole view: header (status, model, clear), messages, chips, composer. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { ChatModel } from '../model';
import { ContextProvider } from '../contextProvider';
import { Task } from '../types';
import { Chips } from './Chips';
import { ICodeActions } from './CodeBlock';
import { Composer } from './Composer';
import { useSignal, useStatus } from './hooks';
import { Message } from './Message';
import { ModelPicker } from './ModelPicker';
import { StatusLine } from './StatusLine';

/** What the view needs of its widget: the task and Verify box it keeps, and asking. */
export interface IPanelState {
  readonly changed: ISignal<unknown, void>;
  task: Task;
  verify: boolean;
  ask(task: Task, prompt: string): Promise<unknown>;
}

export interface IPanelViewProps {
  chat: ChatModel;
  context: ContextProvider;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
  /** Milliseconds between status polls. */
  pollInterval: number;
  widget: IPanelState;
}

export function PanelView(props: IPanelViewProps): JSX.Element {
  const { chat, context } = props;
  useSignal(chat);
  useSignal(context);
  useSignal(props.widget);
  const { status, error, refresh } = useStatus(props.pollInterval);
  const list = React.useRef<HTMLDivElement>(null);
  const messages = chat.messages;
  const last = messages[messages.length - 1];

  React.useEffect(() => {
    const node = list.current;
    if (node) {
      node.scrollTop = node.scrollHeight;
    }
  }, [messages.length, last?.content, last?.state]);

  const path = context.path;
  return (
    <div className="jp-localai-panel-body">
      <div className="jp-localai-header">
        <StatusLine status={status} error={error} />
        <div className="jp-localai-header-row">
          <ModelPicker status={status} onChanged={refresh} />
          <button
            className="jp-localai-link"
            title="Forget this notebook's conversation"
            disabled={messages.length === 0}
            onClick={() => chat.clear()}
          >
            clear
          </button>
        </div>
        <div className="jp-localai-notebook" title={path ?? ''}>
          {path ? `Notebook: ${path}` : 'No notebook is open'}
        </div>
      </div>
      <div className="jp-localai-messages" ref={list}>
        {messages.length === 0 && (
          <div className="jp-localai-empty">
            Ask for code, an explanation, or a fix. The model runs on this machine; the
            chips below show what of the notebook goes with your question.
          </div>
        )}
        {messages.map(m => (
          <Message
            key={m.id}
            message={m}
            rendermime={props.rendermime}
            actions={props.actions}
          />
        ))}
      </div>
      <Chips context={context} />
      <Composer
        chat={chat}
        task={props.widget.task}
        onTask={task => (props.widget.task = task)}
        verify={chat.canVerify ? props.widget.verify : null}
        onVerify={verify => (props.widget.verify = verify)}
        onSend={prompt => void props.widget.ask(props.widget.task, prompt)}
        disabled={!path}
      />
    </div>
  );
}
