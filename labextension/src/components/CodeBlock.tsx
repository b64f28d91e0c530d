/**
 * A code block of an answer, with Insert below / Replace cell / Copy once it is complete.
 * A block that failed its checks (a column the DataFrame lacks, a name never defined)
 * carries a warning badge with the reason, and its buttons say they act anyway.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { failedCheck } from '../blockChecks';
import { fenceCode } from '../codeblocks';
import { Markdown } from '../markdown';
import { useTrans } from '../translation';
import { IBlockCheck } from '../types';

export interface ICodeActions {
  insertBelow(code: string): void;
  replaceCell(code: string): void;
  copy(code: string): void;
}

export function CheckBadge(props: { check: IBlockCheck | undefined }): JSX.Element | null {
  const { check } = props;
  const trans = useTrans();
  if (!check || !check.checked) {
    return null;
  }
  if (failedCheck(check)) {
    return (
      <div
        className="jp-localai-check jp-localai-check-failed"
        data-check="failed"
        role="note"
      >
        ⚠ {trans.__('Failed the checks: %1', check.issues.join(' '))}
      </div>
    );
  }
  return (
    <div
      className="jp-localai-check jp-localai-check-passed"
      data-check="passed"
      title={trans.__("Checked against the notebook's variables before it was offered")}
    >
      ✓ {trans.__('checked')}
    </div>
  );
}

export function CodeBlock(props: {
  rendermime: IRenderMimeRegistry;
  language: string;
  code: string;
  ready: boolean;
  actions: ICodeActions;
  /** chat / explain: what the checks made of this block (none while streaming). */
  check?: IBlockCheck;
}): JSX.Element {
  const trans = useTrans();
  const failed = failedCheck(props.check);
  const warning = failed ? trans.__(' (it failed the checks: see the warning above)') : '';
  return (
    <div className={`jp-localai-code${failed ? ' jp-localai-code-failed' : ''}`}>
      <Markdown
        rendermime={props.rendermime}
        source={fenceCode(props.code, props.language || 'python')}
      />
      {props.ready && <CheckBadge check={props.check} />}
      {props.ready && (
        <div className="jp-localai-code-toolbar">
          <button
            className="jp-localai-button jp-localai-insert"
            title={trans.__('Insert this code as a new cell below the active cell') + warning}
            onClick={() => props.actions.insertBelow(props.code)}
          >
            {failed ? trans.__('Insert below anyway') : trans.__('Insert below')}
          </button>
          <button
            className="jp-localai-button jp-localai-replace"
            title={trans.__("Replace the active cell's source with this code") + warning}
            onClick={() => props.actions.replaceCell(props.code)}
          >
            {failed ? trans.__('Replace cell anyway') : trans.__('Replace cell')}
          </button>
          <button
            className="jp-localai-button jp-localai-copy"
            title={trans.__('Copy this code to the clipboard')}
            onClick={() => props.actions.copy(props.code)}
          >
            {trans.__('Copy')}
          </button>
        </div>
      )}
    </div>
  );
}
