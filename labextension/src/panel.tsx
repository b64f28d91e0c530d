/**
 * The "Local AI" side panel: model status and picker, the conversation of the active
 * notebook with streamed answers, context chips, and the input with Send / Stop.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { getModels, getStatus, selectModel } from './api';
import { fenceCode, splitMessage } from './codeblocks';
import { contextChips, IContextChip, removeChip } from './context';
import { ContextProvider } from './contextProvider';
import { Markdown } from './markdown';
import { modelLabel } from './modelLabel';
import { ChatModel, IChatBackend, ISendOptions } from './model';
import { IChatMessage, IModelList, IStatus, Task } from './types';

export interface ICodeActions {
  insertBelow(code: string): void;
  replaceCell(code: string): void;
  copy(code: string): void;
}

export interface IPanelOptions {
  chat: ChatModel;
  context: ContextProvider;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
  /** Milliseconds between status polls. */
  pollInterval: number;
  maxTokens: number;
  /** Answers a verified fix in the notebook's kernel; without it there is no Verify box. */
  kernelBackend?: IChatBackend;
}

export const VERIFY_TITLE =
  "Verify: answer in this notebook's kernel and run each proposed fix in a forked copy " +
  'of it, keeping the first that runs without error (your variables are not changed). ' +
  'Side effects outside the kernel do happen, in the copy: files a candidate writes, ' +
  'network calls and database writes are real. Needs a running kernel with ' +
  'jupyter-localai installed; Stop interrupts the kernel.';

/** The verdict of a verified fix, in words. */
export function verifiedText(verified: boolean): string {
  return verified
    ? '✓ verified: ran in a copy of the kernel'
    : '✗ not verified: no candidate ran without error in a copy of the kernel';
}

/** Subscribe a component to a Lumino signal owner. */
function useSignal(owner: { changed: ISignal<unknown, void> }): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setTick(t => t + 1);
    owner.changed.connect(bump);
    return () => {
      owner.changed.disconnect(bump);
    };
  }, [owner]);
}

function useStatus(pollInterval: number): {
  status: IStatus | null;
  error: string;
  refresh: () => void;
} {
  const [status, setStatus] = React.useState<IStatus | null>(null);
  const [error, setError] = React.useState('');
  const [nonce, setNonce] = React.useState(0);
  React.useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let delay = pollInterval;
      try {
        const next = await getStatus();
        if (stopped) {
          return;
        }
        setStatus(next);
        setError('');
        if (next.state === 'loading') {
          delay = Math.min(pollInterval, 1000);
        }
      } catch (reason) {
        if (stopped) {
          return;
        }
        setError((reason as Error).message);
        delay = pollInterval * 3;
      }
      timer = setTimeout(poll, delay);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pollInterval, nonce]);
  return { status, error, refresh: () => setNonce(n => n + 1) };
}

function StatusLine(props: { status: IStatus | null; error: string }): JSX.Element {
  const { status, error } = props;
  if (error) {
    return (
      <div className="jp-localai-status jp-localai-status-failed" title={error}>
        <span className="jp-localai-dot" />
        <span className="jp-localai-status-text">{error}</span>
      </div>
    );
  }
  if (!status) {
    return (
      <div className="jp-localai-status">
        <span className="jp-localai-dot" />
        <span className="jp-localai-status-text">Connecting…</span>
      </div>
    );
  }
  const words: { [state: string]: string } = {
    idle: 'Idle: the model loads on the first question',
    loading: 'Loading model…',
    ready: 'Ready',
    failed: 'Model failed'
  };
  let text = words[status.state] ?? status.state;
  if (status.model) {
    text += ` · ${status.model}`;
  }
  if (status.queue_length) {
    text += ` · ${status.queue_length} waiting`;
  }
  return (
    <div
      className={`jp-localai-status jp-localai-status-${status.state}`}
      data-state={status.state}
    >
      <span className="jp-localai-dot" />
      <span className="jp-localai-status-text">{text}</span>
      {status.state === 'failed' && status.last_error && (
        <div className="jp-localai-status-reason">{status.last_error}</div>
      )}
      {status.restarts ? (
        <div className="jp-localai-status-reason">
          The model worker restarted {status.restarts} time
          {status.restarts === 1 ? '' : 's'}
          {status.last_error ? `: ${status.last_error}` : ''}
        </div>
      ) : null}
    </div>
  );
}

function ModelPicker(props: {
  status: IStatus | null;
  onChanged: () => void;
}): JSX.Element | null {
  const [models, setModels] = React.useState<IModelList | null>(null);
  const [error, setError] = React.useState('');
  const current = props.status?.model ?? null;
  React.useEffect(() => {
    getModels()
      .then(list => {
        setModels(list);
        setError('');
      })
      .catch(reason => setError((reason as Error).message));
  }, [current]);
  if (error || !models || models.models.length === 0) {
    return null;
  }
  const onChange = (event: React.ChangeEvent<HTMLSelectElement>) => {
    const name = event.target.value;
    selectModel(name)
      .then(() => props.onChanged())
      .catch(reason => setError((reason as Error).message));
  };
  return (
    <select
      className="jp-localai-model-picker"
      title="The model that answers (switching loads it)"
      value={models.current ?? ''}
      onChange={onChange}
    >
      {models.current === null && <option value="">(no model)</option>}
      {models.models.map(m => (
        <option
          key={m.name}
          value={m.name}
          disabled={m.available === false}
          title={[m.description, m.path].filter(Boolean).join('\n')}
        >
          {modelLabel(m)}
        </option>
      ))}
    </select>
  );
}

function CodeBlock(props: {
  rendermime: IRenderMimeRegistry;
  language: string;
  code: string;
  ready: boolean;
  actions: ICodeActions;
}): JSX.Element {
  return (
    <div className="jp-localai-code">
      <Markdown
        rendermime={props.rendermime}
        source={fenceCode(props.code, props.language || 'python')}
      />
      {props.ready && (
        <div className="jp-localai-code-toolbar">
          <button
            className="jp-localai-button jp-localai-insert"
            title="Insert this code as a new cell below the active cell"
            onClick={() => props.actions.insertBelow(props.code)}
          >
            Insert below
          </button>
          <button
            className="jp-localai-button jp-localai-replace"
            title="Replace the active cell's source with this code"
            onClick={() => props.actions.replaceCell(props.code)}
          >
            Replace cell
          </button>
          <button
            className="jp-localai-button jp-localai-copy"
            title="Copy this code to the clipboard"
            onClick={() => props.actions.copy(props.code)}
          >
            Copy
          </button>
        </div>
      )}
    </div>
  );
}

function Message(props: {
  message: IChatMessage;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
}): JSX.Element {
  const { message } = props;
  if (message.role === 'user') {
    return (
      <div className="jp-localai-message jp-localai-user">
        {message.task && message.task !== 'chat' && (
          <span className="jp-localai-task">
            {message.task}
            {message.verify ? ' · verify' : ''}
          </span>
        )}
        <div className="jp-localai-user-text">{message.content}</div>
      </div>
    );
  }
  const segments = splitMessage(message.content);
  const streaming = message.state === 'streaming';
  return (
    <div
      className={`jp-localai-message jp-localai-assistant jp-localai-${message.state}`}
      data-state={message.state}
    >
      {segments.map((segment, i) =>
        segment.kind === 'prose' ? (
          <Markdown key={i} rendermime={props.rendermime} source={segment.text} />
        ) : (
          <CodeBlock
            key={i}
            rendermime={props.rendermime}
            language={segment.language}
            code={segment.code}
            ready={segment.closed || !streaming}
            actions={props.actions}
          />
        )
      )}
      {streaming && (
        <div className="jp-localai-thinking">
          {message.content ? 'Writing…' : 'Thinking…'}
          {message.verify ? ' (each candidate runs in a copy of the kernel)' : ''}
        </div>
      )}
      {message.state === 'done' && typeof message.verified === 'boolean' && (
        <div
          className={`jp-localai-verified jp-localai-verified-${message.verified ? 'yes' : 'no'}`}
          data-verified={String(message.verified)}
        >
          {verifiedText(message.verified)}
        </div>
      )}
      {message.note && (
        <div
          className={`jp-localai-note jp-localai-note-${message.state}`}
          role={message.state === 'error' ? 'alert' : undefined}
        >
          {message.note}
        </div>
      )}
      {message.warnings && message.warnings.length > 0 && (
        <ul className="jp-localai-warnings">
          {message.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {message.state === 'done' && (message.model || message.seconds) && (
        <div className="jp-localai-meta">
          {[message.model, message.seconds ? `${message.seconds.toFixed(1)} s` : '']
            .filter(Boolean)
            .join(' · ')}
        </div>
      )}
    </div>
  );
}

function Chips(props: { context: ContextProvider }): JSX.Element {
  const { context } = props;
  const chips = contextChips(context.context, context.selection);
  const remove = (chip: IContextChip) => {
    context.selection = removeChip(context.selection, chip);
  };
  return (
    <div className="jp-localai-context">
      <div className="jp-localai-chips">
        {chips.map(chip => (
          <span
            key={chip.key}
            className={`jp-localai-chip jp-localai-chip-${chip.kind}`}
            title={chip.title}
            data-key={chip.key}
          >
            <span className="jp-localai-chip-label">{chip.label}</span>
            <button
              className="jp-localai-chip-remove"
              title="Leave this out of the question"
              aria-label={`Remove ${chip.label}`}
              onClick={() => remove(chip)}
            >
              ×
            </button>
          </span>
        ))}
        {context.loading && <span className="jp-localai-chip-loading">reading context…</span>}
        <button
          className="jp-localai-link"
          title="Read the notebook and the kernel's variables again (restores removed chips)"
          onClick={() => {
            context.selection = { cells: true, lastError: true, excludedVariables: [] };
            void context.refresh();
          }}
        >
          refresh
        </button>
      </div>
      {context.note && <div className="jp-localai-context-note">{context.note}</div>}
    </div>
  );
}

const TASKS: { value: Task; label: string }[] = [
  { value: 'chat', label: 'Chat' },
  { value: 'generate', label: 'Write code' },
  { value: 'explain', label: 'Explain' },
  { value: 'fix', label: 'Fix' }
];

function Composer(props: {
  chat: ChatModel;
  task: Task;
  onTask: (task: Task) => void;
  /** The Verify box (only for fix, when the panel can ask the kernel). */
  verify: boolean | null;
  onVerify: (verify: boolean) => void;
  onSend: (prompt: string) => void;
  disabled: boolean;
}): JSX.Element {
  const [text, setText] = React.useState('');
  const send = () => {
    if (text.trim() && !props.chat.busy) {
      props.onSend(text.trim());
      setText('');
    }
  };
  return (
    <div className="jp-localai-composer">
      <textarea
        className="jp-localai-input"
        placeholder={
          props.disabled
            ? 'Open a notebook to ask about it'
            : 'Ask about this notebook (Enter to send, Shift+Enter for a new line)'
        }
        value={text}
        disabled={props.disabled}
        onChange={e => setText(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            send();
          }
        }}
      />
      <div className="jp-localai-composer-row">
        <select
          className="jp-localai-task-picker"
          value={props.task}
          onChange={e => props.onTask(e.target.value as Task)}
          title="What to do with the question"
        >
          {TASKS.map(t => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
        {props.task === 'fix' && props.verify !== null && (
          <label className="jp-localai-verify" title={VERIFY_TITLE}>
            <input
              type="checkbox"
              className="jp-localai-verify-toggle"
              checked={props.verify}
              disabled={props.chat.busy}
              onChange={e => props.onVerify(e.target.checked)}
            />
            Verify
          </label>
        )}
        {props.chat.busy ? (
          <button
            className="jp-localai-button jp-localai-stop"
            disabled={props.chat.stopping}
            title="Stop this answer (what has arrived is kept)"
            onClick={() => props.chat.stop()}
          >
            {props.chat.stopping ? 'Stopping…' : 'Stop'}
          </button>
        ) : (
          <button
            className="jp-localai-button jp-mod-accept jp-localai-send"
            disabled={props.disabled || !text.trim()}
            onClick={send}
          >
            Send
          </button>
        )}
      </div>
    </div>
  );
}

function PanelView(props: IPanelOptions & { widget: LocalAIPanel }): JSX.Element {
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
        verify={props.kernelBackend ? props.widget.verify : null}
        onVerify={verify => (props.widget.verify = verify)}
        onSend={prompt => void props.widget.ask(props.widget.task, prompt)}
        disabled={!path}
      />
    </div>
  );
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
   * Send a question about the active notebook, with the context the chips show; a fix
   * with Verify ticked is answered by the notebook's kernel.
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
    const kernelBackend = this._options.kernelBackend;
    const verify = task === 'fix' && this._verify && kernelBackend !== undefined;
    return chat.send({
      task,
      prompt,
      ...extra,
      context: context.selected,
      maxTokens: this._options.maxTokens,
      verify,
      backend: verify ? kernelBackend : undefined
    });
  }

  protected render(): JSX.Element {
    return <PanelView {...this._options} widget={this} />;
  }

  private _task: Task = 'chat';
  private _verify = false;
  private _changed = new Signal<this, void>(this);
}
