import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { Markdown } from '../markdown';

// Untyped here (no @types/react-dom): loaded through jest.
const { createRoot } = jest.requireActual('react-dom/client');
const { act } = jest.requireActual('react-dom/test-utils');
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Shows the Markdown source as text, as a stand-in for JupyterLab's renderer. */
class TextRenderer extends Widget {
  renderModel(model: { data: { [mime: string]: unknown } }): Promise<void> {
    this.node.textContent = String(model.data['text/markdown']);
    return Promise.resolve();
  }
}

const rendermime = {
  createRenderer: () => new TextRenderer()
} as unknown as IRenderMimeRegistry;

describe('Markdown', () => {
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
