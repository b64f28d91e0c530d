/**
 * The input: the question (with `@` completion of the kernel's variables), the task
 * picker, the Verify box (fix), Send / Stop.
 */
import * as React from 'react';

import {
  applyMention,
  completeMention,
  IMentionQuery,
  mentionAt
} from '../mentions';
import { ChatModel } from '../model';
import { useTrans } from '../translation';
import { IVariableSummary, Task } from '../types';

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
  { value: 'fix', label: 'Fix' },
  { value: 'agent', label: 'Agent' }
];

let composerCount = 0;

export function Composer(props: {
  chat: ChatModel;
  task: Task;
  onTask: (task: Task) => void;
  /** The Verify box (only for fix, when the panel can ask the kernel). */
  verify: boolean | null;
  onVerify: (verify: boolean) => void;
  /** `mentioned`: the variables chosen with `@` (their summaries go with the question). */
  onSend: (text: string, mentioned: IVariableSummary[]) => void;
  disabled: boolean;
  /** The kernel's variables (from the context call): what `@` completes. */
  variables?: ReadonlyArray<IVariableSummary>;
  /** The agent run in flight, if any: Stop stops it (`agentPanel.ts`). */
  agent?: { busy: boolean; stopping: boolean; stop(): void } | null;
}): JSX.Element {
  const trans = useTrans();
  const [text, setText] = React.useState('');
  const [mention, setMention] = React.useState<IMentionQuery | null>(null);
  const [active, setActive] = React.useState(0);
  const [chosen, setChosen] = React.useState<string[]>([]);
  const input = React.useRef<HTMLTextAreaElement>(null);
  const caretAfter = React.useRef<number | null>(null);
  const [ids] = React.useState(() => {
    composerCount += 1;
    return {
      list: `jp-localai-mentions-${composerCount}`,
      option: (i: number) => `jp-localai-mention-${composerCount}-${i}`,
      input: `jp-localai-input-${composerCount}`,
      task: `jp-localai-task-${composerCount}`
    };
  });
  const variables = props.variables ?? [];
  const suggestions = mention ? completeMention(mention.query, variables) : [];
  const open = suggestions.length > 0;

  React.useLayoutEffect(() => {
    const caret = caretAfter.current;
    if (caret !== null && input.current) {
      input.current.setSelectionRange(caret, caret);
      caretAfter.current = null;
    }
  });

  const track = (value: string, caret: number | null) => {
    const found = caret === null ? null : mentionAt(value, caret);
    setMention(found);
    if (found?.query !== mention?.query) {
      setActive(0);
    }
  };

  const choose = (variable: IVariableSummary) => {
    if (!mention) {
      return;
    }
    const next = applyMention(text, mention, variable.name);
    setText(next.text);
    caretAfter.current = next.caret;
    setMention(null);
    setChosen(names => (names.includes(variable.name) ? names : [...names, variable.name]));
    input.current?.focus();
  };

  const agentBusy = !!props.agent?.busy;
  const send = () => {
    if (text.trim() && !props.chat.busy && !agentBusy) {
      const mentioned = chosen
        .map(name => variables.find(v => v.name === name))
        .filter((v): v is IVariableSummary => v !== undefined);
      props.onSend(text.trim(), mentioned);
      setText('');
      setChosen([]);
      setMention(null);
    }
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive(i => (i + step + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        choose(suggestions[Math.min(active, suggestions.length - 1)]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  };

  return (
    <div className="jp-localai-composer">
      {chosen.length > 0 && (
        <div
          className="jp-localai-mention-chips"
          aria-label={trans.__('Variables named with @')}
          role="group"
        >
          {chosen.map(name => {
            const variable = variables.find(v => v.name === name);
            return (
              <span
                key={name}
                className="jp-localai-chip jp-localai-chip-mention"
                data-name={name}
                title={variable?.summary ?? trans.__('Not among the kernel\'s variables now')}
              >
                <span className="jp-localai-chip-label">
                  @{name}
                  {variable ? `: ${variable.type_name}` : ''}
                </span>
                <button
                  className="jp-localai-chip-remove"
                  aria-label={trans.__('Do not send the summary of %1', name)}
                  title={trans.__('Do not send the summary of %1', name)}
                  onClick={() => setChosen(names => names.filter(n => n !== name))}
                >
                  ×
                </button>
              </span>
            );
          })}
        </div>
      )}
      <label className="jp-localai-visually-hidden" htmlFor={ids.input}>
        {trans.__('Question for the local model')}
      </label>
      <textarea
        id={ids.input}
        ref={input}
        className="jp-localai-input"
        placeholder={
          props.disabled
            ? trans.__('Open a notebook to ask about it')
            : props.task === 'agent'
              ? trans.__(
                  'A goal for the agent, e.g. "load sales.csv and plot revenue by month" (each step is tried in a copy of the kernel; Enter to start)'
                )
              : trans.__(
                  'Ask about this notebook (@ names a variable; Enter to send, Shift+Enter for a new line)'
                )
        }
        value={text}
        disabled={props.disabled}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={ids.list}
        aria-activedescendant={open ? ids.option(active) : undefined}
        onChange={e => {
          setText(e.target.value);
          track(e.target.value, e.target.selectionStart);
        }}
        onSelect={e => track(e.currentTarget.value, e.currentTarget.selectionStart)}
        onBlur={() => setMention(null)}
        onKeyDown={onKeyDown}
      />
      <ul
        id={ids.list}
        role="listbox"
        className="jp-localai-mentions"
        aria-label={trans.__("The kernel's variables")}
        hidden={!open}
      >
        {suggestions.map((v, i) => (
          <li
            key={v.name}
            id={ids.option(i)}
            role="option"
            aria-selected={i === active}
            className={`jp-localai-mention${i === active ? ' jp-mod-active' : ''}`}
            data-name={v.name}
            title={v.summary}
            onMouseDown={e => {
              e.preventDefault(); // keep the focus in the input
              choose(v);
            }}
          >
            <span className="jp-localai-mention-name">{v.name}</span>{' '}
            <span className="jp-localai-mention-type">{v.type_name}</span>
          </li>
        ))}
      </ul>
      <div className="jp-localai-composer-row">
        <label className="jp-localai-visually-hidden" htmlFor={ids.task}>
          {trans.__('Task')}
        </label>
        <select
          id={ids.task}
          className="jp-localai-task-picker"
          value={props.task}
          onChange={e => props.onTask(e.target.value as Task)}
          title={trans.__('What to do with the question')}
        >
          {TASKS.map(t => (
            <option key={t.value} value={t.value}>
              {trans.__(t.label)}
            </option>
          ))}
        </select>
        {props.task === 'fix' && props.verify !== null && (
          <label className="jp-localai-verify" title={trans.__(VERIFY_TITLE)}>
            <input
              type="checkbox"
              className="jp-localai-verify-toggle"
              checked={props.verify}
              disabled={props.chat.busy}
              onChange={e => props.onVerify(e.target.checked)}
            />
            {trans.__('Verify')}
          </label>
        )}
        {agentBusy ? (
          <button
            className="jp-localai-button jp-localai-stop jp-localai-agent-stop"
            disabled={props.agent!.stopping}
            title={trans.__('Stop the agent (interrupts the kernel; the steps that ran stay on offer)')}
            onClick={() => props.agent!.stop()}
          >
            {props.agent!.stopping ? trans.__('Stopping…') : trans.__('Stop')}
          </button>
        ) : props.chat.busy ? (
          <button
            className="jp-localai-button jp-localai-stop"
            disabled={props.chat.stopping}
            title={trans.__('Stop this answer (what has arrived is kept)')}
            onClick={() => props.chat.stop()}
          >
            {props.chat.stopping ? trans.__('Stopping…') : trans.__('Stop')}
          </button>
        ) : (
          <button
            className="jp-localai-button jp-mod-accept jp-localai-send"
            disabled={props.disabled || !text.trim()}
            onClick={send}
          >
            {trans.__('Send')}
          </button>
        )}
      </div>
    </div>
  );
}
