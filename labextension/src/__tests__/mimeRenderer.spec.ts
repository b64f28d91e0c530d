import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { REPLY_MIME_TYPE, ReplyRenderer, replyMarkdown } from '../mimeRenderer';

/** Stands in for JupyterLab's Markdown renderer: keeps what it was asked to render. */
class RecordingRenderer extends Widget {
  static rendered: { source: string; trusted: boolean }[] = [];

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    RecordingRenderer.rendered.push({
      source: String(model.data['text/markdown']),
      trusted: model.trusted
    });
    return Promise.resolve();
  }
}

const rendermime = {
  createRenderer: () => new RecordingRenderer(),
  sanitizer: { sanitize: (html: string) => html },
  clone(): unknown {
    return this;
  }
} as unknown as IRenderMimeRegistry;
const tracker = {} as INotebookTracker;

const HOSTILE = 'Done. <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function outputModel(trusted: boolean): IRenderMime.IMimeModel {
  return {
    trusted,
    data: {
      [REPLY_MIME_TYPE]: {
        task: 'generate',
        code: 'doc = """\n```\n<img src=x>\n"""',
        text: HOSTILE,
        model: 'm',
        warnings: [],
        verified: null
      }
    },
    metadata: {},
    setData: () => undefined
  };
}

describe('ReplyRenderer', () => {
  beforeEach(() => {
    RecordingRenderer.rendered = [];
  });

  it('renders the model text untrusted even in a trusted output', async () => {
    const renderer = new ReplyRenderer(
      { mimeType: REPLY_MIME_TYPE, sanitizer: {}, resolver: null } as never,
      rendermime,
      tracker
    );
    await renderer.renderModel(outputModel(true));
    expect(RecordingRenderer.rendered).toHaveLength(1);
    expect(RecordingRenderer.rendered[0].trusted).toBe(false);
    expect(RecordingRenderer.rendered[0].source).toContain('<img src=x onerror');
  });

  it('fences code containing ``` with a longer fence', async () => {
    const renderer = new ReplyRenderer(
      { mimeType: REPLY_MIME_TYPE, sanitizer: {}, resolver: null } as never,
      rendermime,
      tracker
    );
    await renderer.renderModel(outputModel(true));
    expect(RecordingRenderer.rendered[0].source).toContain(
      '````python\ndoc = """\n```\n<img src=x>\n"""\n````'
    );
  });

  it('shows the code of a code answer once, with the prose around it', async () => {
    const renderer = new ReplyRenderer(
      { mimeType: REPLY_MIME_TYPE, sanitizer: {}, resolver: null } as never,
      rendermime,
      tracker
    );
    const code = 'x = 1';
    const model: IRenderMime.IMimeModel = {
      ...outputModel(true),
      data: {
        [REPLY_MIME_TYPE]: {
          task: 'generate',
          code,
          text: `Sure:\n\n\`\`\`python\n${code}\n\`\`\`\n\nRun it.`,
          model: 'm',
          warnings: [],
          verified: null
        }
      }
    };
    await renderer.renderModel(model);
    const source = RecordingRenderer.rendered[0].source;
    expect(source.split(code)).toHaveLength(2);
    expect(source).toBe('Sure:\n\n```python\nx = 1\n```\n\nRun it.');
  });
});

describe('replyMarkdown', () => {
  it('keeps the answer as written when its block holds the code', () => {
    const text = 'Try this:\n\n````python\ns = """\n```\n"""\n````\n\nDone.';
    expect(replyMarkdown({ text, code: 's = """\n```\n"""\n' })).toBe(
      'Try this:\n\n````python\ns = """\n```\n"""\n````\n\nDone.'
    );
  });

  it("puts the server's code in place of a block that differs", () => {
    const text = 'Fixed:\n\n```python\n>>> y = 2\n```\n\nNote.';
    expect(replyMarkdown({ text, code: 'y = 2' })).toBe(
      'Fixed:\n\n```python\ny = 2\n```\n\nNote.'
    );
  });

  it('fences the code of a fence-less answer where it stands', () => {
    expect(replyMarkdown({ text: 'Use\n\ndf.head()\n\nto look.', code: 'df.head()' })).toBe(
      'Use\n\n```python\ndf.head()\n```\n\nto look.'
    );
    expect(replyMarkdown({ text: 'df.head()', code: 'df.head()' })).toBe(
      '```python\ndf.head()\n```'
    );
    expect(replyMarkdown({ text: '', code: 'x = 1' })).toBe('```python\nx = 1\n```');
  });

  it('shows an answer without code as written, its code blocks re-fenced', () => {
    expect(replyMarkdown({ text: 'Plain **prose**.', code: '' })).toBe('Plain **prose**.');
    expect(replyMarkdown({ text: 'Streaming\n```python\nx = ', code: '' })).toBe(
      'Streaming\n\n```python\nx = \n```'
    );
  });
});
