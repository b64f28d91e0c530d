/** The context chips: what of the notebook goes with the question; each can be removed. */
import * as React from 'react';

import { contextChips, IContextChip, removeChip } from '../context';
import { ContextProvider } from '../contextProvider';
import { useTrans } from '../translation';

export function Chips(props: { context: ContextProvider }): JSX.Element {
  const { context } = props;
  const trans = useTrans();
  const chips = contextChips(context.context, context.selection);
  const remove = (chip: IContextChip) => {
    context.selection = removeChip(context.selection, chip);
  };
  return (
    <div className="jp-localai-context">
      <div className="jp-localai-chips" role="group" aria-label={trans.__('Context sent with the question')}>
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
              title={trans.__('Leave this out of the question')}
              aria-label={trans.__('Remove %1', chip.label)}
              onClick={() => remove(chip)}
            >
              ×
            </button>
          </span>
        ))}
        {context.loading && <span className="jp-localai-chip-loading">{trans.__('reading context…')}</span>}
        <button
          className="jp-localai-link"
          title={trans.__(
            "Read the notebook and the kernel's variables again (restores removed chips)"
          )}
          onClick={() => {
            context.selection = { cells: true, lastError: true, excludedVariables: [] };
            void context.refresh();
          }}
        >
          {trans.__('refresh')}
        </button>
      </div>
      {context.note && <div className="jp-localai-context-note">{context.note}</div>}
    </div>
  );
}
