/** The input: the question, the task picker, the Verify box (fix), Send / Stop. */
import * as React from 'react';

import { ChatModel } from '../model';
import { Task } from '../types';

export const VERIFY_TITLE =
  "Verify: answer in this notebook's kernel and run each proposed fix in a forked copy " +
  'of it, keeping the first that runs without error (your variables are not changed). ' +
  'Side effects outside the kernel do happen, in the copy: files a candidate writes, ' +
  'network calls and database writes are real. Needs a running kernel with ' +
  'jupyter-localai installed; Stop interrupts the kernel.';

const TASKS: { value: Task; label: string }[] = [
  { value: 'chat', label: 'Chat' },
  { value: 'generate', label: 'Write code' },
  { value: 'explain', label: 'Explain' },
  { value: 'fix', label: 'Fix' }
];

export function Composer(props: {
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
