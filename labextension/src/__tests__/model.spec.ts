import { ChatModel, IChatBackend, STOP_GRACE_MS } from '../model';
import { ConversationStore, IKeyValueStore } from '../persistence';
import { AskEvent, IAskBody } from '../types';
import { EMPTY_CONTEXT } from '../context';

class MemoryStore implements IKeyValueStore {
  data = new Map<string, string>();
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}

/** A backend driven by the test: it emits what the test says, when it says. */
class ScriptedBackend implements IChatBackend {
  bodies: IAskBody[] = [];
  cancelled: string[] = [];
  emit: (event: AskEvent) => void = () => undefined;
  finish: (error?: Error) => void = () => undefined;
  signal: AbortSignal | null = null;
  onCancel: (id: string) => void = () => undefined;

  ask(body: IAskBody, onEvent: (event: AskEvent) => void, signal: AbortSignal) {
    this.bodies.push(body);
    this.emit = onEvent;
    this.signal = signal;
    return new Promise<void>((resolve, reject) => {
      this.finish = error => (error ? reject(error) : resolve());
      signal.addEventListener('abort', () => {
        const error = new Error('aborted');
        error.name = 'AbortError';
        reject(error);
      });
    });
  }

  cancel(id: string) {
    this.cancelled.push(id);
    this.onCancel(id);
    return Promise.resolve({});
  }
}

const reply = (code: string, text: string, extra = {}) => ({
  code,
  text,
  model: 'qwen',
  warnings: [],
  ...extra
});

describe('ChatModel', () => {
  it('grows the answer token by token, then shows the server reply', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    chat.setPath('a.ipynb');
    const seen: string[] = [];
    chat.changed.connect(() => {
      const last = chat.messages[chat.messages.length - 1];
      seen.push(last.content);
    });
    const done = chat.send({ task: 'generate', prompt: 'add y', context: EMPTY_CONTEXT });
    expect(chat.busy).toBe(true);
    backend.emit({ type: 'start', request_id: backend.bodies[0].request_id! });
    for (const piece of ['```python\n', 'y = ', '2\n', '```']) {
      backend.emit({ type: 'token', text: piece });
    }
    backend.emit({ type: 'done', reply: reply('y = 2', '```python\ny = 2\n```') });
    backend.finish();
    const answer = await done;
    expect(answer.state).toBe('done');
    expect(answer.model).toBe('qwen');
    expect(chat.busy).toBe(false);
    // the text was seen growing, piece by piece
    expect(seen).toEqual(expect.arrayContaining(['```python\ny = ', '```python\ny = 2\n']));
    expect(backend.bodies[0].task).toBe('generate');
    expect(backend.bodies[0].session_id).toBe('a.ipynb');
  });

  it('sends earlier finished turns as history', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    const first = chat.send({ task: 'chat', prompt: 'hi', context: EMPTY_CONTEXT });
    backend.emit({ type: 'token', text: 'hello' });
    backend.emit({ type: 'done', reply: reply('', 'hello') });
    backend.finish();
    await first;
    const second = chat.send({ task: 'chat', prompt: 'again', context: EMPTY_CONTEXT });
    expect(backend.bodies[1].history).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' }
    ]);
    backend.emit({ type: 'done', reply: reply('', 'ok') });
    backend.finish();
    await second;
  });

  it('Stop cancels on the server by request id and keeps the partial answer', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    backend.onCancel = () => {
      backend.emit({
        type: 'done',
        reply: reply('', 'partial', { finish_reason: 'cancelled' })
      });
      backend.finish();
    };
    const done = chat.send({ task: 'chat', prompt: 'long', context: EMPTY_CONTEXT });
    backend.emit({ type: 'token', text: 'partial' });
    chat.stop();
    const answer = await done;
    expect(backend.cancelled).toEqual([backend.bodies[0].request_id]);
    expect(answer.state).toBe('stopped');
    expect(answer.content).toBe('partial');
    expect(answer.note).toMatch(/Stopped/);
    expect(chat.busy).toBe(false);
  });

  it('Stop cuts the stream when the server does not end it', async () => {
    jest.useFakeTimers();
    try {
      const backend = new ScriptedBackend();
      const chat = new ChatModel(backend);
      const done = chat.send({ task: 'chat', prompt: 'long', context: EMPTY_CONTEXT });
      backend.emit({ type: 'token', text: 'some' });
      chat.stop();
      expect(chat.stopping).toBe(true);
      jest.advanceTimersByTime(STOP_GRACE_MS + 1);
      const answer = await done;
      expect(backend.signal!.aborted).toBe(true);
      expect(answer.state).toBe('stopped');
      expect(answer.content).toBe('some');
    } finally {
      jest.useRealTimers();
    }
  });

  it('shows server errors and failed requests as readable notes', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    const first = chat.send({ task: 'chat', prompt: 'q', context: EMPTY_CONTEXT });
    backend.emit({ type: 'error', message: 'ModelLoadError: the file is truncated' });
    backend.finish();
    const failed = await first;
    expect(failed.state).toBe('error');
    expect(failed.note).toBe('ModelLoadError: the file is truncated');

    const second = chat.send({ task: 'chat', prompt: 'q', context: EMPTY_CONTEXT });
    backend.finish(new Error('The jupyter-localai server extension is not running (404)'));
    const missing = await second;
    expect(missing.state).toBe('error');
    expect(missing.note).toMatch(/404/);

    const third = chat.send({ task: 'chat', prompt: 'q', context: EMPTY_CONTEXT });
    backend.emit({ type: 'token', text: 'cut' });
    backend.finish();
    const cut = await third;
    expect(cut.state).toBe('error');
    expect(cut.note).toMatch(/ended without a result/);
  });

  it('a retry replaces the text of the failed attempt', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    const done = chat.send({ task: 'fix', prompt: '', context: EMPTY_CONTEXT });
    backend.emit({ type: 'token', text: 'first try' });
    backend.emit({ type: 'attempt', attempt: 2, reason: 'unchanged' });
    expect(chat.messages[1].content).toBe('');
    expect(chat.messages[1].note).toMatch(/attempt 2/);
    backend.emit({ type: 'token', text: 'second' });
    backend.emit({ type: 'done', reply: reply('', 'second') });
    backend.finish();
    expect((await done).content).toBe('second');
  });

  it('keeps each notebook conversation across a reload', async () => {
    const storage = new MemoryStore();
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend, new ConversationStore(storage));
    chat.setPath('a.ipynb');
    const done = chat.send({ task: 'chat', prompt: 'q', context: EMPTY_CONTEXT });
    backend.emit({ type: 'done', reply: reply('', 'an answer') });
    backend.finish();
    await done;
    chat.setPath('b.ipynb');
    expect(chat.messages).toEqual([]);

    const reloaded = new ChatModel(new ScriptedBackend(), new ConversationStore(storage));
    reloaded.setPath('a.ipynb');
    expect(reloaded.messages.map(m => [m.role, m.content])).toEqual([
      ['user', 'q'],
      ['assistant', 'an answer']
    ]);
  });

  it('refuses a second question while one is answered', async () => {
    const backend = new ScriptedBackend();
    const chat = new ChatModel(backend);
    const done = chat.send({ task: 'chat', prompt: 'q', context: EMPTY_CONTEXT });
    await expect(
      chat.send({ task: 'chat', prompt: 'again', context: EMPTY_CONTEXT })
    ).rejects.toThrow(/still coming/);
    backend.emit({ type: 'done', reply: reply('', 'x') });
    backend.finish();
    await done;
  });
});

describe('ChatModel routing: who answers', () => {
  const finish = (backend: ScriptedBackend) => {
    backend.emit({ type: 'done', reply: reply('x = 1', '```python\nx = 1\n```') });
    backend.finish();
  };

  it('sends a fix with Verify to the kernel backend, marked verify', async () => {
    const server = new ScriptedBackend();
    const kernel = new ScriptedBackend();
    const chat = new ChatModel(server, null, kernel);
    expect(chat.canVerify).toBe(true);
    const answer = chat.send({ task: 'fix', prompt: '', context: EMPTY_CONTEXT, verify: true });
    finish(kernel);
    const message = await answer;
    expect(kernel.bodies).toHaveLength(1);
    expect(kernel.bodies[0].task).toBe('fix');
    expect(server.bodies).toHaveLength(0);
    expect(message.verify).toBe(true);
    expect(chat.messages[0].verify).toBe(true);
  });

  it.each([
    ['fix', false],
    ['fix', undefined],
    ['generate', true],
    ['explain', true],
    ['chat', true]
  ] as const)('sends %s with verify=%s to the server', async (task, verify) => {
    const server = new ScriptedBackend();
    const kernel = new ScriptedBackend();
    const chat = new ChatModel(server, null, kernel);
    const answer = chat.send({ task, prompt: 'q', context: EMPTY_CONTEXT, verify });
    finish(server);
    const message = await answer;
    expect(server.bodies).toHaveLength(1);
    expect(kernel.bodies).toHaveLength(0);
    expect(message.verify).toBeUndefined();
  });

  it('without a kernel backend a fix with Verify goes to the server, unverified', async () => {
    const server = new ScriptedBackend();
    const chat = new ChatModel(server);
    expect(chat.canVerify).toBe(false);
    expect(chat.route('fix', true)).toEqual({ backend: server, verify: false });
    const answer = chat.send({ task: 'fix', prompt: '', context: EMPTY_CONTEXT, verify: true });
    finish(server);
    const message = await answer;
    expect(server.bodies).toHaveLength(1);
    expect(message.verify).toBeUndefined();
  });

  it('Stop cancels on the backend that answers', async () => {
    const server = new ScriptedBackend();
    const kernel = new ScriptedBackend();
    kernel.onCancel = () => {
      kernel.emit({ type: 'done', reply: reply('', 'partial', { finish_reason: 'cancelled' }) });
      kernel.finish();
    };
    const chat = new ChatModel(server, null, kernel);
    const answer = chat.send({ task: 'fix', prompt: '', context: EMPTY_CONTEXT, verify: true });
    chat.stop();
    const message = await answer;
    expect(kernel.cancelled).toHaveLength(1);
    expect(server.cancelled).toHaveLength(0);
    expect(message.state).toBe('stopped');
  });
});
