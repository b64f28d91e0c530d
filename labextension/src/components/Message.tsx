/** One message of the conversation: the question, or the answer as it streams and ends. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import * as React from 'react';

import { checkFor } from '../blockChecks';
import { splitMessage } from '../codeblocks';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';

import { Markdown } from '../markdown';
import { TRANSLATION_DOMAIN, useTrans } from '../translation';
import { IChatMessage } from '../types';
import { CodeBlock, ICodeActions } from './CodeBlock';

/** The verdict of a verified fix, in words. */
export function verifiedText(
  verified: boolean,
  trans: TranslationBundle = nullTranslator.load(TRANSLATION_DOMAIN)
): string {
  return verified
    ? trans.__('✓ verified: ran in a copy of the kernel')
    : trans.__('✗ not verified: no candidate ran without error in a copy of the kernel');
}

export function Message(props: {
  message: IChatMessage;
  rendermime: IRenderMimeRegistry;
  actions: ICodeActions;
}): JSX.Element {
  const { message } = props;
  const trans = useTrans();
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
            check={streaming ? undefined : checkFor(message.blocks, segment.code)}
          />
        )
      )}
      {streaming && (
        <div className="jp-localai-thinking">
          {message.content ? trans.__('Writing…') : trans.__('Thinking…')}
          {message.verify ? trans.__(' (each candidate runs in a copy of the kernel)') : ''}
        </div>
      )}
      {message.state === 'done' && typeof message.verified === 'boolean' && (
        <div
          className={`jp-localai-verified jp-localai-verified-${message.verified ? 'yes' : 'no'}`}
          data-verified={String(message.verified)}
        >
          {verifiedText(message.verified, trans)}
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
