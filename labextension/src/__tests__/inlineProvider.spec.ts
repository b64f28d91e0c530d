import {
  IInlineCompletionContext,
  InlineCompletionTriggerKind
} from '@jupyterlab/completer';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CompleteEvent, ICompleteBody } from '../completeApi';
import { EMPTY_CONTEXT } from '../context';
import {
  DISABLED_RETRY_MS,
  ICompletionTarget,
  LocalAIInlineProvider,
  splitAtCursor
} from '../inlineProvider';
import { INotebookContext } from '../types';

/** One call of the completion route, driven by the test. */
interface ICall {
  body: ICompleteBody;
  emit: (event: CompleteEvent) => void;
  finish: (error?: Error) => void;
  signal: AbortSignal;
}

/** A completion route the test drives event by event. */
class ScriptedRoute {
  calls: ICall[] = [];

  complete = (
    body: ICompleteBody,
    onEvent: (event: CompleteEvent) => void,
    signal: AbortSignal
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.calls.push({
        body,
        emit: onEvent,
        finish: error => (error ? reject(error) : resolve()),
        signal
      });
      signal.addEventListener('abort', () => {
        const error = new Error('aborted');
        error.name = 'AbortError';
        reject(error);
      });
    });

  get last(): ICall {
    return this.calls[this.calls.length - 1];
  }
}

/** A cell whose text the test edits. */
class FakeCell {
  text: string;
  changed = new Signal<this, void>(this);
  constructor(text: string) {
    this.text = text;
  }
  edit(text: string) {
    this.text = text;
    this.changed.emit();
  }
}

const CONTEXT: INotebookContext = {
  ...EMPTY_CONTEXT,
  variables: [
    {
      name: 'df',
      type_name: 'DataFrame',
      summary: 'DataFrame 3x2, columns: city (object), price (int64)',
      relevance: 1
    }
  ]
};

function targetFor(cell: FakeCell, sessionId = 'nb.ipynb'): ICompletionTarget {
  return {
    sessionId,
    context: CONTEXT,
    source: () => cell.text,
    sourceChanged: cell.changed
  };
}

const inlineContext: IInlineCompletionContext = {
  widget: new Widget(),
  triggerKind: InlineCompletionTriggerKind.Automatic
};

/** Let promise callbacks run. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

function setup(cell = new FakeCell('df[')) {
  const route = new ScriptedRoute();
  let now = 1000;
  const provider = new LocalAIInlineProvider({
    complete: route.complete,
    target: async () => targetFor(cell),
    now: () => now
  });
  return { route, provider, cell, advance: (ms: number) => (now += ms) };
}

async function collect(generator: AsyncGenerator<{ response: { insertText: string } }>) {
  const texts: string[] = [];
  for await (const { response } of generator) {
    texts.push(response.insertText);
  }
  return texts;
}

describe('splitAtCursor', () => {
  it('splits at a character offset, counting an emoji as one character', () => {
    const text = 's = "😀"\ndf[';
    const offset = [...text].length; // the completer's offset is in characters
    expect(splitAtCursor({ text, offset })).toEqual({ prefix: text, suffix: '' });
    expect(splitAtCursor({ text: '😀ab', offset: 2 })).toEqual({
      prefix: '😀a',
      suffix: 'b'
    });
  });
});

describe('LocalAIInlineProvider', () => {
  it('sends the cell split at the cursor, the session and the cached context', async () => {
    const { route, provider } = setup(new FakeCell('x = 1\ndf[\nprint(x)'));
    provider.configure({ maxTokens: 24 });
    const text = 'x = 1\ndf[\nprint(x)';
    void provider.fetch({ text, offset: 9 }, inlineContext);
    await settle();
    expect(route.calls).toHaveLength(1);
    const body = route.last.body;
    expect(body.prefix).toBe('x = 1\ndf[');
    expect(body.suffix).toBe('\nprint(x)');
    expect(body.session_id).toBe('nb.ipynb');
    expect(body.context).toBe(CONTEXT);
    expect(body.max_tokens).toBe(24);
    expect(body.request_id).toBeTruthy();
  });

  it('returns the first piece as incomplete, then streams the rest', async () => {
    const { route, provider } = setup();
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'piece', text: '"ci' });
    const list = await fetched;
    expect(list.items).toHaveLength(1);
    const item = list.items[0];
    expect(item.insertText).toBe('"ci');
    expect(item.isIncomplete).toBe(true);
    expect(item.token).toBeTruthy();

    const streamed = collect(provider.stream(item.token as string));
    route.last.emit({ type: 'piece', text: 'ty' });
    await settle();
    route.last.emit({ type: 'piece', text: '"]' });
    route.last.emit({ type: 'done', text: '"city"]', stop_reason: 'stop' });
    route.last.finish();
    const texts = await streamed;
    expect(texts[texts.length - 1]).toBe('"city"]');
    // Every update is the whole text so far, each one longer than the last.
    for (let i = 1; i < texts.length; i++) {
      expect(texts[i].startsWith(texts[i - 1])).toBe(true);
    }
    expect(texts).toContain('"city');
    expect(provider.inFlight).toBeNull();
  });

  it('streams pieces that arrived before stream() was called', async () => {
    const { route, provider } = setup();
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'piece', text: '"a' });
    const item = (await fetched).items[0];
    route.last.emit({ type: 'piece', text: 'b"]' });
    route.last.emit({ type: 'done', text: '"ab"]' });
    route.last.finish();
    await settle();
    expect(await collect(provider.stream(item.token as string))).toEqual(['"ab"]']);
  });

  it('takes a fast empty done as no suggestion', async () => {
    const { route, provider } = setup();
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'done', text: '', stop_reason: 'empty' });
    route.last.finish();
    expect((await fetched).items).toEqual([]);
  });

  it('returns a whole suggestion that is done before fetch returns as complete', async () => {
    const { route, provider } = setup();
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'done', text: '"price"]' });
    route.last.finish();
    const items = (await fetched).items;
    expect(items).toHaveLength(1);
    expect(items[0].insertText).toBe('"price"]');
    expect(items[0].isIncomplete).toBeFalsy();
  });

  it('aborts the request in flight when a newer one comes', async () => {
    const { route, provider } = setup();
    const first = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'piece', text: '"ci' });
    const item = (await first).items[0];
    const streamed = collect(provider.stream(item.token as string));
    const older = route.last;

    // A newer request (here an explicit invoke, Alt+\, on the same text).
    void provider.fetch(
      { text: 'df[', offset: 3 },
      { ...inlineContext, triggerKind: InlineCompletionTriggerKind.Invoke }
    );
    expect(older.signal.aborted).toBe(true);
    // Pieces the aborted request still delivers are never shown.
    older.emit({ type: 'piece', text: 'ty' });
    expect(await streamed).toEqual([]);
    await settle();
    expect(route.calls).toHaveLength(2);
    expect(route.last.signal.aborted).toBe(false);
    expect(provider.inFlight).toBe(route.last.body.request_id);
  });

  it('aborts the request in flight when the cell text changes (a typed character)', async () => {
    const cell = new FakeCell('df[');
    const { route, provider } = setup(cell);
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'piece', text: '"ci' });
    const item = (await fetched).items[0];
    const streamed = collect(provider.stream(item.token as string));
    await settle();

    cell.edit('df[');  // a change event that leaves the text as it was: no abort
    expect(route.last.signal.aborted).toBe(false);
    cell.edit('df["');
    expect(route.last.signal.aborted).toBe(true);
    route.last.emit({ type: 'piece', text: 'ty' });
    expect(await streamed).toEqual([]);
    expect(provider.inFlight).toBeNull();
    expect(route.calls).toHaveLength(1); // JupyterLab asks again after its debounce
  });

  it('asks nothing for a request whose text is no longer the cell\'s', async () => {
    const { route, provider } = setup(new FakeCell('df["'));
    expect((await provider.fetch({ text: 'df[', offset: 3 }, inlineContext)).items).toEqual(
      []
    );
    expect(route.calls).toHaveLength(0);
  });

  it('stops asking for a while after the server says completion is off', async () => {
    const { route, provider, advance } = setup();
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    route.last.emit({ type: 'disabled' });
    route.last.finish();
    expect((await fetched).items).toEqual([]);

    expect((await provider.fetch({ text: 'df[', offset: 3 }, inlineContext)).items).toEqual(
      []
    );
    expect(route.calls).toHaveLength(1);

    advance(DISABLED_RETRY_MS);
    void provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    expect(route.calls).toHaveLength(2);
  });

  it('asks nothing where Local AI does not complete', async () => {
    const route = new ScriptedRoute();
    const provider = new LocalAIInlineProvider({
      complete: route.complete,
      target: async () => null
    });
    expect((await provider.fetch({ text: 'df[', offset: 3 }, inlineContext)).items).toEqual(
      []
    );
    expect(route.calls).toHaveLength(0);
  });

  it('shows nothing and logs when the request fails before a piece', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { route, provider } = setup();
      const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
      await settle();
      route.last.finish(new Error('The server answered 500'));
      expect((await fetched).items).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('The server answered 500'));
    } finally {
      warn.mockRestore();
    }
  });

  it('reports an error that ends a stream on the item', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { route, provider } = setup();
      const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
      await settle();
      route.last.emit({ type: 'piece', text: '"ci' });
      const item = (await fetched).items[0];
      route.last.emit({ type: 'error', message: 'the worker stopped' });
      const updates = [];
      for await (const { response } of provider.stream(item.token as string)) {
        updates.push(response);
      }
      expect(updates).toEqual([
        { insertText: '"ci', error: { message: 'the worker stopped' } }
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it('gives up and aborts when no piece comes within the timeout', async () => {
    const { route, provider } = setup();
    provider.configure({ timeout: 30 });
    const fetched = provider.fetch({ text: 'df[', offset: 3 }, inlineContext);
    await settle();
    expect((await fetched).items).toEqual([]);
    expect(route.last.signal.aborted).toBe(true);
  });
});
