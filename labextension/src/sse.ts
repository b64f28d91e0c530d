/**
 * An incremental Server-Sent Events parser: the ask endpoint streams tokens, and
 * network chunks split events (and even UTF-8 characters) anywhere, so bytes are
 * buffered until a blank line ends an event.
 */

export interface ISSEMessage {
  event: string;
  data: string;
  id?: string;
}

export class SSEParser {
  private _buffer = '';
  private _decoder = new TextDecoder('utf-8');

  /** Feed raw bytes (or already decoded text); returns the events completed by it. */
  feed(chunk: Uint8Array | string): ISSEMessage[] {
    this._buffer +=
      typeof chunk === 'string'
        ? chunk
        : this._decoder.decode(chunk, { stream: true });
    return this._drain(false);
  }

  /** The stream ended: return a last event that had no terminating blank line. */
  end(): ISSEMessage[] {
    this._buffer += this._decoder.decode();
    return this._drain(true);
  }

  private _drain(final: boolean): ISSEMessage[] {
    // A chunk may end between the '\r' and '\n' of one line break: hold that '\r' back.
    const held = !final && this._buffer.endsWith('\r') ? '\r' : '';
    const text = held ? this._buffer.slice(0, -1) : this._buffer;
    const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
    // The last block is incomplete unless the stream has ended.
    this._buffer = final ? '' : (blocks.pop() ?? '') + held;
    const messages: ISSEMessage[] = [];
    for (const block of blocks) {
      const message = parseBlock(block);
      if (message) {
        messages.push(message);
      }
    }
    return messages;
  }
}

function parseBlock(block: string): ISSEMessage | null {
  const data: string[] = [];
  let event = 'message';
  let id: string | undefined;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) {
      continue; // comments keep connections alive; they carry nothing
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'data') {
      data.push(value);
    } else if (field === 'event') {
      event = value;
    } else if (field === 'id') {
      id = value;
    }
  }
  if (data.length === 0) {
    return null;
  }
  return { event, data: data.join('\n'), id };
}
