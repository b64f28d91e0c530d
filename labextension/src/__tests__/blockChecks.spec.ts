import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { checkFor, readBlockChecks } from '../blockChecks';
import { Message } from '../components/Message';
import { REPLY_MIME_TYPE, ReplyRenderer } from '../mimeRenderer';
import { ChatModel, IChatBackend } from '../model';
import { AskEvent, IBlockCheck, IChatMessage } from '../types';

const { createRoot } = jest.requireActual('react-dom/client');
const { act } = jest.requireActual('react-dom/test-utils');
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

class TextRenderer extends Widget {
  renderModel(model: { data: { [mime: string]: unknown } }): Promise<void> {
    this.node.textContent = String(model.data['text/markdown']);
    return Promise.resolve();
  }
}

const rendermime = {
  createRenderer: () => new TextRenderer(),
  sanitizer: { sanitize: (html: string) => html },
  clone(): unknown {
    return this;
  }
} as unknown as IRenderMimeRegistry;

const MISSING = "df['total'] = df['price'] * df['quantity']";
const RIGHT = "df['total'] = df['price'] * df['qty']";
const REASON = "`df` has no column or key 'quantity'. Did you mean 'qty'?";
const TEXT =
  'Try:\n```python\n' + MISSING + '\n```\nor\n```python\n' + RIGHT +
  '\n```\nand\n```bash\npip install pandas\n```\n';

function check(index: number, code: string, issues: string[], checked = true): IBlockCheck {
  return { index, language: 'python', code, checked, issues, quoted: false, note: '' };
}

const CHECKS = [
  check(0, MISSING, [REASON]),
  check(1, RIGHT, []),
  { ...check(2, 'pip install pandas', [], false), language: 'bash', note: 'not Python (bash)' }
];

async function renderMessage(message: IChatMessage) {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const root = createRoot(host);
  const actions = { insertBelow: jest.fn(), replaceCell: jest.fn(), copy: jest.fn() };
  await act(async () => {
    root.render(React.createElement(Message, { message, rendermime, actions }));
  });
  const blocks = Array.from(host.querySelectorAll('.jp-localai-code')) as HTMLElement[];
  return { host, root, actions, blocks };
}

function answer(state: IChatMessage['state'], blocks?: IBlockCheck[]): IChatMessage {
  return { id: 'a', role: 'assistant', content: TEXT, task: 'chat', state, blocks };
}

describe('block checks', () => {
  it('reads only well-formed checks and finds a block by its code', () => {
    const read = readBlockChecks([CHECKS[0], null, { code: 3 }, 'x', { code: 'y' }]);
    expect(read).toEqual([CHECKS[0]]);
    expect(readBlockChecks('nope')).toEqual([]);
    expect(checkFor(CHECKS, `\n${RIGHT}\n`)).toBe(CHECKS[1]);
    expect(checkFor(CHECKS, 'print(1)')).toBeUndefined();
  });

  it('marks a failed block with its reason; its buttons still act, labelled', async () => {
    const { root, actions, blocks } = await renderMessage(answer('done', CHECKS));
    expect(blocks).toHaveLength(3);
    const badge = blocks[0].querySelector('.jp-localai-check-failed') as HTMLElement;
    expect(badge.textContent).toContain('Failed the checks');
    expect(badge.textContent).toContain("'quantity'");
    expect(blocks[0].classList.contains('jp-localai-code-failed')).toBe(true);
    const insert = blocks[0].querySelector('.jp-localai-insert') as HTMLButtonElement;
    expect(insert.textContent).toBe('Insert below anyway');
    expect(blocks[0].querySelector('.jp-localai-replace')?.textContent).toBe('Replace cell anyway');
    await act(async () => insert.click());
    expect(actions.insertBelow).toHaveBeenCalledWith(MISSING);
    // The block that passed says so, with plain buttons; the shell block has no badge.
    expect(blocks[1].querySelector('.jp-localai-check-passed')).not.toBeNull();
    expect(blocks[1].querySelector('.jp-localai-check-failed')).toBeNull();
    expect(blocks[1].querySelector('.jp-localai-insert')?.textContent).toBe('Insert below');
    expect(blocks[2].querySelector('.jp-localai-check')).toBeNull();
    await act(async () => root.unmount());
  });

  it('shows no verdict while the answer streams', async () => {
    const { root, blocks } = await renderMessage(answer('streaming', CHECKS));
    expect(blocks[0].querySelector('.jp-localai-check')).toBeNull();
    await act(async () => root.unmount());
  });

  it("keeps the done reply's checks on the answer", async () => {
    const backend: IChatBackend = {
      ask: async (_body, onEvent: (event: AskEvent) => void) => {
        onEvent({ type: 'start', request_id: 'r1' });
        onEvent({ type: 'token', text: TEXT });
        onEvent({
          type: 'done',
          reply: { code: '', text: TEXT, model: 'm', warnings: [], blocks: CHECKS }
        });
      },
      cancel: async () => undefined
    };
    const model = new ChatModel(backend);
    const done = await model.send({
      task: 'chat',
      prompt: 'add total',
      context: { cells: [], variables: [], last_error: null, imports: [] }
    });
    expect(done.blocks).toEqual(CHECKS);
  });

  it("marks a failed block in a magic's output, with its own buttons", async () => {
    const renderer = new ReplyRenderer(
      { mimeType: REPLY_MIME_TYPE, sanitizer: {}, resolver: null } as never,
      rendermime,
      {} as INotebookTracker
    );
    const data = { task: 'chat', code: '', text: TEXT, model: 'm', warnings: [],
      verified: null, blocks: CHECKS };
    await renderer.renderModel({
      trusted: true,
      data: { [REPLY_MIME_TYPE]: data },
      metadata: {},
      setData: () => undefined
    } as unknown as IRenderMime.IMimeModel);
    const failed = renderer.node.querySelectorAll('.jp-localai-check-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].textContent).toContain("'quantity'");
    expect(renderer.node.querySelectorAll('.jp-localai-check-passed')).toHaveLength(1);
    const labels = Array.from(renderer.node.querySelectorAll('button')).map(b => b.textContent);
    expect(labels).toEqual([
      'Insert below anyway', 'Replace cell anyway', 'Copy',
      'Insert below', 'Replace cell', 'Copy'
    ]);
    // The mark sits right after its block's code, before the next prose.
    const text = renderer.node.textContent ?? '';
    expect(text.indexOf("'quantity'\n```")).toBeLessThan(text.indexOf('Failed the checks'));
    expect(text.indexOf('Failed the checks')).toBeLessThan(text.indexOf('or'));
    renderer.dispose();
  });
});
