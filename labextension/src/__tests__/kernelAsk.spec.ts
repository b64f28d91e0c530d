import { EMPTY_CONTEXT, pythonStringLiteral } from '../context';
import {
  describeKernelFailure,
  IKernelLike,
  KernelAskBackend,
  kernelAskCode,
  KernelEventParser,
  MISSING_PACKAGE_MESSAGE,
  NO_KERNEL_MESSAGE,
  OLD_PACKAGE_MESSAGE
} from '../kernelAsk';
import { ChatModel } from '../model';
import { AskEvent, IAskBody } from '../types';

/** A kernel connection driven by the test: it prints what the test says, when it says. */
class FakeKernel {
  requests: { code: string; silent?: boolean; store_history?: boolean }[] = [];
  interrupts = 0;
  onInterrupt: () => void = () => undefined;
  private _onIOPub: (msg: unknown) => void = () => undefined;
  private _resolve: (reply: unknown) => void = () => undefined;
  private _reject: (reason: Error) => void = () => undefined;

  requestExecute(content: { code: string; silent?: boolean; store_history?: boolean }) {
    this.requests.push(content);
    const done = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    const future = {
      done,
      set onIOPub(handler: (msg: unknown) => void) {
        kernel._onIOPub = handler;
      }
    };
    const kernel = this;
    return future;
  }

  interrupt(): Promise<void> {
    this.interrupts += 1;
    this.onInterrupt();
    return Promise.resolve();
  }

  print(text: string): void {
    this._onIOPub({ header: { msg_type: 'stream' }, content: { name: 'stdout', text } });
  }

  event(event: AskEvent): void {
    this.print(JSON.stringify(event) + '\n');
  }

  raise(ename: string, evalue: string): void {
    this._onIOPub({
      header: { msg_type: 'error' },
      content: { ename, evalue, traceback: [] }
    });
    this._resolve({ content: { status: 'error', ename, evalue } });
  }

  idle(): void {
    this._resolve({ content: { status: 'ok' } });
  }

  die(): void {
    this._reject(new Error('Canceled future for execute_request message before replies were done'));
  }
}

const asKernel = (kernel: FakeKernel) => kernel as unknown as IKernelLike;

const body: IAskBody = {
  task: 'fix',
  prompt: '',
  context: EMPTY_CONTEXT,
  history: [],
  target_source: 'average = total / count',
  request_id: 'panel-1'
};

const reply = (verified: boolean | null, extra = {}) => ({
  code: 'average = total / max(count, 1)',
  text: '```python\naverage = total / max(count, 1)\n```',
  model: 'qwen',
  warnings: [],
  verified,
  ...extra
});

/** Let pending promise callbacks run. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('the kernel event lines', () => {
  it('decodes events split anywhere and keeps other output aside', () => {
    const parser = new KernelEventParser();
    const line = JSON.stringify({ type: 'token', text: 'x = 1\n' });
    const events = [
      ...parser.feed('a warning\n' + line.slice(0, 7)),
      ...parser.feed(line.slice(7) + '\n{"type": "new-kind"}\n{"type": "do'),
      ...parser.feed('ne", "reply": {}}')
    ];
    expect(events).toEqual([{ type: 'token', text: 'x = 1\n' }]);
    expect(parser.end()).toEqual([{ type: 'done', reply: {} }]);
    expect(parser.other).toEqual(['a warning', '{"type": "new-kind"}']);
  });

  it('sends the body as one ASCII Python string literal', () => {
    const code = kernelAskCode({ ...body, prompt: 'café 😀 "q"\n' });
    expect(code.startsWith('__import__("jupyter_localai.kernel.panel_task", fromlist=["_"])')).toBe(true);
    expect(code).toMatch(/\.run_json\(get_ipython\(\), ".*"\)$/);
    expect(/^[\x20-\x7e]*$/.test(code)).toBe(true);
    expect(code).toContain('caf\\u00e9 \\U0001f600');
    expect(pythonStringLiteral('\u2028')).toBe('"\\u2028"');
  });
});

describe('KernelAskBackend', () => {
  it('streams the kernel events in order from a silent request', async () => {
    const kernel = new FakeKernel();
    const backend = new KernelAskBackend(() => asKernel(kernel));
    const seen: AskEvent[] = [];
    const done = backend.ask(body, e => seen.push(e), new AbortController().signal);
    expect(kernel.requests[0]).toMatchObject({ silent: true, store_history: false });
    kernel.event({ type: 'start', request_id: 'panel-1' });
    kernel.print(JSON.stringify({ type: 'token', text: '```py' }) + '\n' + '{"type": "tok');
    kernel.print('en", "text": "thon"}\n');
    kernel.event({ type: 'attempt', attempt: 2, reason: 'it raised ZeroDivisionError' });
    kernel.event({ type: 'done', reply: reply(true) });
    kernel.idle();
    await done;
    expect(seen.map(e => e.type)).toEqual(['start', 'token', 'token', 'attempt', 'done']);
    expect((seen[2] as { text: string }).text).toBe('thon');
  });

  it('says so when no kernel is running', async () => {
    const backend = new KernelAskBackend(() => null);
    await expect(
      backend.ask(body, () => undefined, new AbortController().signal)
    ).rejects.toThrow(NO_KERNEL_MESSAGE);
  });

  it('says so when jupyter-localai is missing in the kernel', async () => {
    const kernel = new FakeKernel();
    const backend = new KernelAskBackend(() => asKernel(kernel));
    const done = backend.ask(body, () => undefined, new AbortController().signal);
    kernel.raise('ModuleNotFoundError', "No module named 'jupyter_localai'");
    await expect(done).rejects.toThrow(MISSING_PACKAGE_MESSAGE);
    expect(
      describeKernelFailure(
        "ModuleNotFoundError: No module named 'jupyter_localai.kernel.panel_task'"
      )
    ).toBe(OLD_PACKAGE_MESSAGE);
    expect(describeKernelFailure("ImportError: cannot import name 'x' from 'y'")).toBe(
      "The kernel could not run the verified fix: ImportError: cannot import name 'x' from 'y'"
    );
  });

  it('reports a kernel that ends or dies without an answer', async () => {
    const kernel = new FakeKernel();
    const backend = new KernelAskBackend(() => asKernel(kernel));
    let done = backend.ask(body, () => undefined, new AbortController().signal);
    kernel.event({ type: 'start', request_id: 'panel-1' });
    kernel.print('something else\n');
    kernel.idle();
    await expect(done).rejects.toThrow(/without an answer; it printed: something else/);

    done = backend.ask(body, () => undefined, new AbortController().signal);
    kernel.die();
    await expect(done).rejects.toThrow(/restarted or shut down/);
  });

  it('interrupts the kernel on Stop only once the ask runs there', async () => {
    const kernel = new FakeKernel();
    const backend = new KernelAskBackend(() => asKernel(kernel));
    const seen: AskEvent[] = [];
    const done = backend.ask(body, e => seen.push(e), new AbortController().signal);
    // Queued behind the user's running cell: Stop must not interrupt that cell.
    await backend.cancel('panel-1');
    expect(kernel.interrupts).toBe(0);
    kernel.onInterrupt = () => {
      kernel.event({ type: 'done', reply: reply(null, { finish_reason: 'cancelled' }) });
      kernel.idle();
    };
    kernel.event({ type: 'start', request_id: 'panel-1' });
    await done;
    expect(kernel.interrupts).toBe(1);
    expect(seen.map(e => e.type)).toEqual(['start', 'done']);
    // Finished: a late Stop interrupts nothing.
    await backend.cancel('panel-1');
    expect(kernel.interrupts).toBe(1);
  });
});

describe('ChatModel with the kernel backend', () => {
  const server = {
    ask: jest.fn(() => Promise.reject(new Error('the server was asked'))),
    cancel: jest.fn(() => Promise.resolve({}))
  };

  it('asks the kernel for a verified fix and shows the verdict', async () => {
    const kernel = new FakeKernel();
    const chat = new ChatModel(server, null, new KernelAskBackend(() => asKernel(kernel)));
    const answer = chat.send({
      task: 'fix',
      prompt: '',
      context: EMPTY_CONTEXT,
      verify: true
    });
    kernel.event({ type: 'start', request_id: 'k-1' });
    kernel.event({ type: 'done', reply: reply(true) });
    kernel.idle();
    const message = await answer;
    expect(server.ask).not.toHaveBeenCalled();
    expect(message.state).toBe('done');
    expect(message.verified).toBe(true);
    expect(chat.messages[0].verify).toBe(true);
  });

  it('says when no candidate ran', async () => {
    const kernel = new FakeKernel();
    const chat = new ChatModel(server, null, new KernelAskBackend(() => asKernel(kernel)));
    const answer = chat.send({
      task: 'fix',
      prompt: '',
      context: EMPTY_CONTEXT,
      verify: true
    });
    kernel.event({ type: 'start', request_id: 'k-2' });
    kernel.event({
      type: 'done',
      reply: reply(false, { warnings: ['Running it in a copy of the notebook raised: ...'] })
    });
    kernel.idle();
    const message = await answer;
    expect(message.verified).toBe(false);
    expect(message.warnings).toHaveLength(1);
  });

  it('Stop interrupts the kernel, not the server', async () => {
    const kernel = new FakeKernel();
    const chat = new ChatModel(server, null, new KernelAskBackend(() => asKernel(kernel)));
    kernel.onInterrupt = () => {
      kernel.event({ type: 'token', text: ' late' });
      kernel.event({ type: 'done', reply: reply(null, { finish_reason: 'cancelled' }) });
      kernel.idle();
    };
    const answer = chat.send({
      task: 'fix',
      prompt: '',
      context: EMPTY_CONTEXT,
      verify: true
    });
    kernel.event({ type: 'start', request_id: 'k-3' });
    kernel.event({ type: 'token', text: 'partial' });
    await settle();
    chat.stop();
    const message = await answer;
    expect(kernel.interrupts).toBe(1);
    expect(server.cancel).not.toHaveBeenCalled();
    expect(message.state).toBe('stopped');
  });
});
