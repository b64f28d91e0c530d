import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { REPLY_MIME_TYPE, ReplyRenderer } from '../mimeRenderer';

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
  createRenderer: () => new RecordingRenderer()
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

});
