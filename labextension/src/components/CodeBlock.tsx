/** A code block of an answer, with Insert below / Replace cell / Copy once it is complete. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { fenceCode } from '../codeblocks';
import { Markdown } from '../markdown';

export interface ICodeActions {
  insertBelow(code: string): void;
  replaceCell(code: string): void;
  copy(code: string): void;
}

export function CodeBlock(props: {
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
