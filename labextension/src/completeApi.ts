/**
 * The inline completion routes of the server extension: `POST api/localai/complete`
 * streams one suggestion as Server-Sent Events, `POST api/localai/complete/prefill`
 * warms the stable part of the prompt after cells run. Same auth as the panel's calls
 * (`ServerConnection.makeRequest` carries the token and XSRF cookie).
 */
import { ServerConnection } from '@jupyterlab/services';

import { LocalAIRequestError, readEventStream, request } from './api';
import { INotebookContext } from './types';

/** The body of one completion request. */
export interface ICompleteBody {
  request_id: string;
  /** The notebook's path: a newer request of the same session cancels the older one. */
  session_id: string;
  /** The cell's text before the cursor. */
  prefix: string;
  /** The cell's text after the cursor. */
  suffix: string;
  /** The same context object the panel sends to /ask. */
  context: INotebookContext;
  max_tokens?: number;
}

/** One event of the completion stream, after JSON decoding. */
export type CompleteEvent =
  | { type: 'piece'; text: string }
  | { type: 'done'; text: string; stop_reason?: string }
  | { type: 'error'; message: string }
  | { type: 'disabled' };

const COMPLETE_EVENT_TYPES = ['piece', 'done', 'error', 'disabled'];

/** Decode one SSE data field; null for an event type this client does not know. */
export function parseCompleteEvent(data: string): CompleteEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new LocalAIRequestError(
      `The server sent a completion event that is not JSON: ${data.slice(0, 200)}`
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LocalAIRequestError(
      `The server sent a completion event that is not an object: ${data.slice(0, 200)}`
    );
  }
  const event = value as { type?: unknown; text?: unknown; message?: unknown };
  if (!COMPLETE_EVENT_TYPES.includes(event.type as string)) {
    return null;
  }
  if ((event.type === 'piece' || event.type === 'done') && typeof event.text !== 'string') {
    throw new LocalAIRequestError(
      `The server sent a '${event.type}' event without text: ${data.slice(0, 200)}`
    );
  }
  if (event.type === 'error') {
    return { type: 'error', message: String(event.message ?? 'unknown error') };
  }
  return value as CompleteEvent;
}

/** True for the answer of a server whose completion is turned off (HTTP 409). */
function isDisabledStatus(reason: unknown): boolean {
  return reason instanceof LocalAIRequestError && reason.status === 409;
}

/**
 * POST a completion request and call `onEvent` for each event as it arrives. HTTP 409
 * (completion turned off on the server) arrives as a `disabled` event. Resolves when the
 * stream ends, rejects with AbortError when `signal` aborts (the server then stops the
 * generation), and with LocalAIRequestError when the stream ends without a final event.
 */
export async function complete(
  body: ICompleteBody,
  onEvent: (event: CompleteEvent) => void,
  signal?: AbortSignal,
  settings?: ServerConnection.ISettings
): Promise<void> {
  let response: Response;
  try {
    response = await request(
      'complete',
      {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { Accept: 'text/event-stream' },
        signal
      },
      settings
    );
  } catch (reason) {
    if (isDisabledStatus(reason)) {
      onEvent({ type: 'disabled' });
      return;
    }
    throw reason;
  }
  let finished = false;
  await readEventStream(response, data => {
    const event = parseCompleteEvent(data);
    if (event === null) {
      return;
    }
    finished = event.type !== 'piece';
    onEvent(event);
  });
  if (!finished) {
    throw new LocalAIRequestError(
      'The suggestion stopped before it was complete (the server closed the stream).'
    );
  }
}

/**
 * Ask the server to evaluate a notebook's stable completion context ahead of the
 * keystrokes that will use it. Resolves to false when completion is off (HTTP 409).
 */
export async function prefillCompletion(
  sessionId: string,
  context: INotebookContext,
  settings?: ServerConnection.ISettings
): Promise<boolean> {
  try {
    await request(
      'complete/prefill',
      {
        method: 'POST',
        body: JSON.stringify({ session_id: sessionId, context })
      },
      settings
    );
  } catch (reason) {
    if (isDisabledStatus(reason)) {
      return false;
    }
    throw reason;
  }
  return true;
}
