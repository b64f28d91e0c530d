/** The context chips: what of the notebook goes with the question; each can be removed. */
import * as React from 'react';

import { contextChips, IContextChip, removeChip } from '../context';
import { ContextProvider } from '../contextProvider';

export function Chips(props: { context: ContextProvider }): JSX.Element {
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
