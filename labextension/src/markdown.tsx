/**
 * Markdown through JupyterLab's own renderer (sanitized, code highlighted, nothing loaded
 * from a URL: see `untrusted.ts`), kept in step with text that changes while an answer
 * streams: renders never overlap, and the latest text always wins.
 */
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { renderUntrustedMarkdown, untrustedMarkdownRenderer } from './untrusted';

export class MarkdownRenderer {
  constructor(rendermime: IRenderMimeRegistry) {
    this._renderer = untrustedMarkdownRenderer(rendermime);
  }

  get widget(): IRenderMime.IRenderer {
    return this._renderer;
  }

  /** Render `source`; a call during a render is coalesced into one later render. */
  render(source: string): Promise<void> {
    this._pending = source;
    if (!this._running) {
      this._running = this._loop().finally(() => {
        this._running = null;
      });
    }
    return this._running;
  }

  dispose(): void {
    this._renderer.dispose();
  }

  private async _loop(): Promise<void> {
    while (this._pending !== null && !this._renderer.isDisposed) {
      const source = this._pending;
      this._pending = null;
      if (source === this._shown) {
        continue;
      }
      await renderUntrustedMarkdown(this._renderer, source);
      this._shown = source;
    }
  }

  private _renderer: IRenderMime.IRenderer;
  private _pending: string | null = null;
  private _shown: string | null = null;
  private _running: Promise<void> | null = null;
}

export function Markdown(props: {
  rendermime: IRenderMimeRegistry;
  source: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const renderer = React.useRef<MarkdownRenderer | null>(null);

  // A layout effect: its cleanup runs before React takes the host off the page, while
  // Lumino can still detach the widget (it refuses a node no longer in the document, and
  // a passive effect's cleanup runs after the removal, e.g. when a retry resets the text).
  React.useLayoutEffect(() => {
    const markdown = new MarkdownRenderer(props.rendermime);
    renderer.current = markdown;
    if (host.current) {
      Widget.attach(markdown.widget, host.current);
    }
    return () => {
      renderer.current = null;
      if (markdown.widget.isAttached && markdown.widget.node.isConnected) {
        Widget.detach(markdown.widget);
      }
      if (!markdown.widget.isAttached) {
        markdown.dispose();
      }
    };
  }, [props.rendermime]);

  React.useEffect(() => {
    renderer.current?.render(props.source).catch(reason => {
      console.warn('jupyter-localai: Markdown rendering failed', reason);
    });
  }, [props.source, props.rendermime]);

  return <div ref={host} className="jp-localai-markdown-host" />;
}
