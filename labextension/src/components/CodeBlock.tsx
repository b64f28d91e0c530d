/**
 * A code block of an answer, with Insert below / Replace cell / Copy once it is complete.
 * A block that failed its checks (a column the DataFrame lacks, a name never defined)
 * carries a warning badge with the reason, and its buttons say they act anyway.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { failedCheck, failedText } from '../blockChecks';
import { fenceCode } from '../codeblocks';
import { Markdown } from '../markdown';
import { IBlockCheck } from '../types';

export interface ICodeActions {
  insertBelow(code: string): void;
  replaceCell(code: string): void;
  copy(code: string): void;
}

export function CheckBadge(props: { check: IBlockCheck | undefined }): JSX.Element | null {
  const { check } = props;
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
        ⚠ {failedText(check)}
      </div>
    );
  }
  return (
    <div
      className="jp-localai-check jp-localai-check-passed"
      data-check="passed"
      title="Checked against the notebook's variables before it was offered"
    >
      ✓ checked
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
  const failed = failedCheck(props.check);
  const anyway = failed ? ' anyway' : '';
  const warning = failed ? ' (it failed the checks: see the warning above)' : '';
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
            title={`Insert this code as a new cell below the active cell${warning}`}
            onClick={() => props.actions.insertBelow(props.code)}
          >
            Insert below{anyway}
          </button>
          <button
            className="jp-localai-button jp-localai-replace"
            title={`Replace the active cell's source with this code${warning}`}
            onClick={() => props.actions.replaceCell(props.code)}
          >
            Replace cell{anyway}
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
