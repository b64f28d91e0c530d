import { SSEParser } from '../sse';
import { parseAskEvent } from '../api';

describe('SSEParser', () => {
  it('parses whole events', () => {
    const parser = new SSEParser();
    const events = parser.feed('data: {"type":"token","text":"a"}\n\ndata: {"type":"token","text":"b"}\n\n');
    expect(events.map(e => JSON.parse(e.data).text)).toEqual(['a', 'b']);
  });

  it('joins events split anywhere across chunks, including inside a UTF-8 character', () => {
    const payload = 'data: {"type":"token","text":"héllo ✓"}\n\ndata: {"type":"done"}\n\n';
    const bytes = new TextEncoder().encode(payload);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new SSEParser();
      const events = [
        ...parser.feed(bytes.slice(0, cut)),
        ...parser.feed(bytes.slice(cut)),
        ...parser.end()
      ];
      expect(events.map(e => e.data)).toEqual([
        '{"type":"token","text":"héllo ✓"}',
        '{"type":"done"}'
      ]);
    }
  });

  it('handles CRLF line breaks split between chunks', () => {
    const parser = new SSEParser();
    const events = [
      ...parser.feed('data: a\r'),
      ...parser.feed('\ndata: b\r\n\r'),
      ...parser.feed('\n')
    ];
    expect(events).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });

  it('ignores comments and events without data, keeps event names and ids', () => {
    const parser = new SSEParser();
    const events = parser.feed(': keep-alive\n\nevent: note\nid: 7\ndata:x\n\n');
    expect(events).toEqual([{ event: 'note', data: 'x', id: '7' }]);
  });

  it('keeps an unterminated event until the stream ends', () => {
    const parser = new SSEParser();
    expect(parser.feed('data: last')).toEqual([]);
    expect(parser.end().map(e => e.data)).toEqual(['last']);
  });
});

describe('parseAskEvent', () => {
  it('returns known events', () => {
    expect(parseAskEvent('{"type":"token","text":"x"}')).toEqual({ type: 'token', text: 'x' });
  });

  it('skips event types it does not know', () => {
    expect(parseAskEvent('{"type":"progress","n":3}')).toBeNull();
  });

  it('rejects data that is not a JSON object', () => {
    expect(() => parseAskEvent('not json')).toThrow(/not JSON/);
    expect(() => parseAskEvent('[1]')).toThrow(/not an object/);
  });
});
