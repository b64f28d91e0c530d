/** The panel's whole view: header (status, model, clear), messages, chips, composer. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { AgentSession } from '../agentPanel';
import { ChatModel, ISendOptions } from '../model';
import { ContextProvider } from '../contextProvider';
import { promptWithMentions } from '../mentions';
import { ReviewModel } from '../review';
import { useTrans } from '../translation';
import { Task } from '../types';
import { AgentPanelSection } from './AgentView';
import { Chips } from './Chips';
import { ICodeActions } from './CodeBlock';
import { Composer } from './Composer';
import { DiffReview } from './DiffReview';
import { useSignal, useStatus } from './hooks';
import { Message } from './Message';
import { ModelPicker } from './ModelPicker';
import { StatusLine } from './StatusLine';

/** What the view needs of its widget: the task and Verify box it keeps, and asking. */
export interface IPanelState {
  readonly changed: ISignal<unknown, void>;
  task: Task;
  verify: boolean;
  ask(task: Task, prompt: string, extra?: Pick<ISendOptions, 'display'>): Promise<unknown>;
}

export interface IPanelViewProps {
  chat: ChatModel;
  context: ContextProvider;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
  /** Milliseconds between status polls. */
  pollInterval: number;
  widget: IPanelState;
  review: ReviewModel;
  /** The "Agent" task's run (absent: no Agent task). */
  agent?: AgentSession | null;
}

export function PanelView(props: IPanelViewProps): JSX.Element {
  const { chat, context } = props;
  const trans = useTrans();
  useSignal(chat);
  useSignal(context);
  useSignal(props.widget);
  const agentOwner = React.useMemo(
    () => props.agent ?? { changed: new Signal<unknown, void>({}) },
    [props.agent]
  );
  useSignal(agentOwner);
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
            title={trans.__("Forget this notebook's conversation")}
            disabled={messages.length === 0}
            onClick={() => chat.clear()}
          >
            {trans.__('clear')}
          </button>
        </div>
        <div className="jp-localai-notebook" title={path ?? ''}>
          {path ? trans.__('Notebook: %1', path) : trans.__('No notebook is open')}
        </div>
      </div>
      <div
        className="jp-localai-messages"
        ref={list}
        role="log"
        aria-live="polite"
        aria-busy={chat.busy}
        aria-label={trans.__('Conversation with the local model')}
      >
        {messages.length === 0 && (
          <div className="jp-localai-empty">
            {trans.__(
              'Ask for code, an explanation, or a fix. The model runs on this machine; the chips below show what of the notebook goes with your question. Type @ to name a variable.'
            )}
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
      {props.agent && <AgentPanelSection session={props.agent} />}
      <DiffReview review={props.review} />
      <Chips context={context} />
      <Composer
        chat={chat}
        task={props.widget.task}
        onTask={task => (props.widget.task = task)}
        verify={chat.canVerify ? props.widget.verify : null}
        onVerify={verify => (props.widget.verify = verify)}
        onSend={(text, mentioned) =>
          void props.widget.ask(props.widget.task, promptWithMentions(text, mentioned), {
            display: text
          })
        }
        disabled={!path}
        variables={context.context.variables}
        agent={props.agent}
      />
    </div>
  );
}
