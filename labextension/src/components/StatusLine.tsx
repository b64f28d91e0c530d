/** The model's state on the panel's first line: connecting, idle, loading, ready, failed. */
import * as React from 'react';

import { IStatus } from '../types';

export function StatusLine(props: { status: IStatus | null; error: string }): JSX.Element {
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
