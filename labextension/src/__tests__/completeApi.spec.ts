import { ServerConnection } from '@jupyterlab/services';

import {
  complete,
  CompleteEvent,
  ICompleteBody,
  parseCompleteEvent,
  prefillCompletion
} from '../completeApi';
import { EMPTY_CONTEXT } from '../context';

/** Server settings whose fetch answers with `respond` and records the requests. */
function fakeServer(respond: () => Response) {
  const requests: { url: string; method: string; body: string }[] = [];
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    fetch: (async (input: RequestInfo, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push({
        url: request.url.split('?')[0],
        method: request.method,
        body: await request.text()
      });
      return respond();
    }) as typeof fetch
  });
  return { settings, requests };
}

/** An event-stream answer (Node's Response streams its body; SSEParser's own tests
 * cover events split across chunks). */
function sse(chunks: string[]): Response {
  return new Response(chunks.join(''), {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream' }
  });
}

const BODY: ICompleteBody = {
  request_id: 'r1',
  session_id: 'nb.ipynb',
  prefix: 'df[',
  suffix: '',
  context: EMPTY_CONTEXT,
  max_tokens: 16
};

describe('parseCompleteEvent', () => {
  it('decodes the four event types and skips unknown ones', () => {
    expect(parseCompleteEvent('{"type":"piece","text":"ab"}')).toEqual({
      type: 'piece',
      text: 'ab'
    });
    expect(parseCompleteEvent('{"type":"done","text":"ab","stop_reason":"eos"}')).toEqual({
      type: 'done',
      text: 'ab',
      stop_reason: 'eos'
    });
    expect(parseCompleteEvent('{"type":"error","message":"boom"}')).toEqual({
      type: 'error',
      message: 'boom'
    });
    expect(parseCompleteEvent('{"type":"disabled"}')).toEqual({ type: 'disabled' });
    expect(parseCompleteEvent('{"type":"timing","ms":3}')).toBeNull();
  });

  it('rejects data that is not an event', () => {
    expect(() => parseCompleteEvent('not json')).toThrow(/not JSON/);
    expect(() => parseCompleteEvent('[1]')).toThrow(/not an object/);
    expect(() => parseCompleteEvent('{"type":"piece"}')).toThrow(/without text/);
  });
});

describe('complete', () => {
  it('posts the body to api/localai/complete and streams its events', async () => {
    const { settings, requests } = fakeServer(() =>
      sse([
        'data: {"type":"piece","te',
        'xt":"\\"ci"}\n\ndata: {"type":"piece","text":"ty\\"]"}\n',
        '\ndata: {"type":"done","text":"\\"city\\"]","stop_reason":"stop"}\n\n'
      ])
    );
    const events: CompleteEvent[] = [];
    await complete(BODY, event => events.push(event), undefined, settings);
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe('http://localhost:8888/lab-base/api/localai/complete');
    expect(requests[0].method).toBe('POST');
    expect(JSON.parse(requests[0].body)).toEqual(BODY);
    expect(events.map(e => e.type)).toEqual(['piece', 'piece', 'done']);
    expect(events[2]).toEqual({ type: 'done', text: '"city"]', stop_reason: 'stop' });
  });

  it('turns HTTP 409 into a disabled event', async () => {
    const { settings } = fakeServer(
      () => new Response('{"message":"inline completion is off"}', { status: 409 })
    );
    const events: CompleteEvent[] = [];
    await complete(BODY, event => events.push(event), undefined, settings);
    expect(events).toEqual([{ type: 'disabled' }]);
  });

  it('fails with the server message on other HTTP errors', async () => {
    const { settings } = fakeServer(
      () => new Response('{"message":"no model loaded"}', { status: 503 })
    );
    await expect(complete(BODY, () => undefined, undefined, settings)).rejects.toThrow(
      /503.*no model loaded/
    );
  });

  it('fails when the stream ends without a final event', async () => {
    const { settings } = fakeServer(() => sse(['data: {"type":"piece","text":"a"}\n\n']));
    await expect(complete(BODY, () => undefined, undefined, settings)).rejects.toThrow(
      /stopped before it was complete/
    );
  });
});

describe('prefillCompletion', () => {
  it('posts the session and context; false when completion is off', async () => {
    let status = 202;
    const { settings, requests } = fakeServer(() => new Response('{}', { status }));
    expect(await prefillCompletion('nb.ipynb', EMPTY_CONTEXT, settings)).toBe(true);
    expect(requests[0].url).toBe(
      'http://localhost:8888/lab-base/api/localai/complete/prefill'
    );
    expect(JSON.parse(requests[0].body)).toEqual({
      session_id: 'nb.ipynb',
      context: EMPTY_CONTEXT
    });
    status = 409;
    expect(await prefillCompletion('nb.ipynb', EMPTY_CONTEXT, settings)).toBe(false);
  });
});
