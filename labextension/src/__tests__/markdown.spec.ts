import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { Markdown, MarkdownRenderer } from '../markdown';

// Untyped here (no @types/react-dom): loaded through jest.
const { createRoot } = jest.requireActual('react-dom/client');
const { act } = jest.requireActual('react-dom/test-utils');
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Shows the Markdown source as text, as a stand-in for JupyterLab's renderer. */
class TextRenderer extends Widget {
  static trusted: boolean[] = [];

  renderModel(model: { data: { [mime: string]: unknown }; trusted: boolean }): Promise<void> {
    TextRenderer.trusted.push(model.trusted);
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

describe('Markdown', () => {
  it('renders the model text untrusted (through the sanitizer)', async () => {
    TextRenderer.trusted = [];
    const markdown = new MarkdownRenderer(rendermime);
    await markdown.render('<img src=x onerror="window.__pwned=1">');
    expect(TextRenderer.trusted).toEqual([false]);
    markdown.dispose();
  });

  it('leaves the page cleanly when its answer text is reset (a retry)', async () => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root = createRoot(host);
    const answer = (children: React.ReactNode) =>
      React.createElement('div', { className: 'answer' }, children);
    await act(async () => {
      root.render(answer(React.createElement(Markdown, { rendermime, source: 'first try' })));
    });
    expect(host.textContent).toBe('first try');
    // Unmounted with its parent's other children: Lumino must detach it while attached.
    await act(async () => {
      root.render(answer(null));
    });
    expect(host.textContent).toBe('');
    await act(async () => root.unmount());
  });
});
