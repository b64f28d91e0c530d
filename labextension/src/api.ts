/**
 * Calls to the server extension under `/api/localai/`. `ServerConnection.makeRequest`
 * carries the token and the XSRF cookie, so the panel uses Jupyter's own auth.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { SSEParser } from './sse';
import { AskEvent, IAskBody, IModelList, IStatus } from './types';

/** A failed call, with a message a user can act on. */
export class LocalAIRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null
  ) {
    super(message);
    this.name = 'LocalAIRequestError';
  }
}

export const API_PREFIX = 'api/localai';

/** Turn an HTTP failure into a sentence that names the fix. */
export async function describeFailure(
  response: Response,
  route: string
): Promise<string> {
  if (response.status === 404) {
    return (
      `The jupyter-localai server extension is not running (404 at /${API_PREFIX}/${route}). ` +
      'Install jupyter-localai in the Python environment of this Jupyter server and restart it; ' +
      '`jupyter server extension list` should show jupyter_localai enabled.'
    );
  }
  if (response.status === 403) {
    return 'The server refused the request (403): reload the page to renew the session.';
  }
  let detail = '';
  try {
    const text = await response.text();
    try {
      const data = JSON.parse(text);
      detail = data.message || data.reason || data.error || text;
    } catch {
      detail = text;
    }
  } catch (reason) {
    detail = String(reason);
  }
  detail = String(detail).trim().slice(0, 500);
  return `The server answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`;
}

/** Make one request, turning network failures into LocalAIRequestError. */
export async function request(
  route: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, API_PREFIX, route);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    if (isAbort(reason)) {
      throw reason;
    }
    throw new LocalAIRequestError(
      `Cannot reach the Jupyter server: ${(reason as Error).message ?? reason}`
    );
  }
  if (!response.ok) {
    throw new LocalAIRequestError(
      await describeFailure(response, route),
      response.status
    );
  }
  return response;
}

async function requestJSON<T>(
  route: string,
  init: RequestInit = {},
  settings?: ServerConnection.ISettings
): Promise<T> {
  const response = await request(route, init, settings);
  const text = await response.text();
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch {
    throw new LocalAIRequestError(
      `The server sent something that is not JSON at /${API_PREFIX}/${route}: ${text.slice(0, 200)}`
    );
  }
}

export function isAbort(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    (reason as { name?: string }).name === 'AbortError'
  );
}

export function getStatus(
  settings?: ServerConnection.ISettings
): Promise<IStatus> {
  return requestJSON<IStatus>('status', { method: 'GET' }, settings);
}

export function getModels(
  settings?: ServerConnection.ISettings
): Promise<IModelList> {
  return requestJSON<IModelList>('models', { method: 'GET' }, settings);
}

export function selectModel(
  model: string,
  settings?: ServerConnection.ISettings
): Promise<unknown> {
  return requestJSON(
    'models',
    { method: 'POST', body: JSON.stringify({ model }) },
    settings
  );
}

export function cancelRequest(
  requestId: string,
  settings?: ServerConnection.ISettings
): Promise<unknown> {
  return requestJSON(
    'cancel',
    { method: 'POST', body: JSON.stringify({ request_id: requestId }) },
    settings
  );
}

export const ASK_EVENT_TYPES = ['start', 'token', 'attempt', 'done', 'error'];

/**
 * Decode one SSE data field into an AskEvent; null for an event type this panel does
 * not know (a newer server may add some), an error for data that is not an event.
 */
export function parseAskEvent(data: string): AskEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new LocalAIRequestError(
      `The server sent an event that is not JSON: ${data.slice(0, 200)}`
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LocalAIRequestError(
      `The server sent an event that is not an object: ${data.slice(0, 200)}`
    );
  }
  const type = (value as { type?: unknown }).type;
  return ASK_EVENT_TYPES.includes(type as string) ? (value as AskEvent) : null;
}

/**
 * POST an ask and call `onEvent` for each event as it arrives (tokens stream).
 * Resolves when the stream ends; rejects with AbortError when `signal` aborts.
 */
export async function ask(
  body: IAskBody,
  onEvent: (event: AskEvent) => void,
  signal?: AbortSignal,
  settings?: ServerConnection.ISettings
): Promise<void> {
  const response = await request(
    'ask',
    {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { Accept: 'text/event-stream' },
      signal
    },
    settings
  );
  let finished = false;
  await readEventStream(response, data => {
    const event = parseAskEvent(data);
    if (event === null) {
      return;
    }
    if (event.type === 'done' || event.type === 'error') {
      finished = true;
    }
    onEvent(event);
  });
  if (!finished) {
    throw new LocalAIRequestError(
      'The answer stopped before it was complete (the server closed the stream).'
    );
  }
}

/**
 * Read a `text/event-stream` body to its end, calling `onData` with each event's data
 * as it arrives (network chunks split events anywhere; SSEParser reassembles them).
 */
export async function readEventStream(
  response: Response,
  onData: (data: string) => void
): Promise<void> {
  if (!response.body) {
    throw new LocalAIRequestError('The server sent no body for the answer.');
  }
  const reader = response.body.getReader();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      parser.feed(value).forEach(message => onData(message.data));
    }
    parser.end().forEach(message => onData(message.data));
  } finally {
    reader.releaseLock();
  }
}
