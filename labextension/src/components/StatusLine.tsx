/** The model's state on the panel's first line: connecting, idle, loading, ready, failed. */
import * as React from 'react';

import { useTrans } from '../translation';
import { IStatus } from '../types';

export function StatusLine(props: { status: IStatus | null; error: string }): JSX.Element {
  const { status, error } = props;
  const trans = useTrans();
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
        <span className="jp-localai-status-text">{trans.__('Connecting…')}</span>
      </div>
    );
  }
  const words: { [state: string]: string } = {
    idle: trans.__('Idle: the model loads on the first question'),
    loading: trans.__('Loading model…'),
    ready: trans.__('Ready'),
    failed: trans.__('Model failed')
  };
  let text = words[status.state] ?? status.state;
  if (status.model) {
    text += ` · ${status.model}`;
  }
  if (status.queue_length) {
    text += ` · ${trans.__('%1 waiting', status.queue_length)}`;
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
          {trans._n(
            'The model worker restarted %1 time',
            'The model worker restarted %1 times',
            status.restarts
          )}
          {status.last_error ? `: ${status.last_error}` : ''}
        </div>
      ) : null}
    </div>
  );
}
