/**
 * Renders the magics' answers (`application/vnd.jupyter-localai.reply+json`) with
 * buttons that act on the notebook holding the output: insert the code below that
 * cell, replace that cell's source, or copy the code. Other frontends show the
 * bundle's text/markdown fallback.
 *
 * The model's text is never trusted, even in the output of a cell the user ran (which
 * JupyterLab marks trusted): a reply can carry `<img onerror=...>` or `<script>` put there
 * by text in its context, so it always goes through JupyterLab's sanitizer, and loads
 * nothing (`untrusted.ts`: an image the model points at a URL is shown as a placeholder).
 *
 * `reply.text` is the model's whole answer, code blocks included, and `reply.code` the code
 * the server took from it: the code is shown once, where the answer has it, with the prose
 * around it (`replyMarkdown`).
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';

import { checkFor, failedCheck, failedText, readBlockChecks } from './blockChecks';
import { copyCode, insertBelow, locateNode, replaceCell } from './cellActions';
import { fenceCode, finalMarkdown, splitMessage } from './codeblocks';
import { IBlockCheck, IMagicReply } from './types';
import { renderUntrustedMarkdown, untrustedMarkdownRenderer } from './untrusted';

export const REPLY_MIME_TYPE = 'application/vnd.jupyter-localai.reply+json';

/** Read the bundle's JSON defensively: a bad bundle shows an error, never a crash. */
export function readMagicReply(data: unknown): IMagicReply {
  if (typeof data !== 'object' || data === null) {
    throw new Error('The answer bundle is not a JSON object.');
  }
  const d = data as { [key: string]: unknown };
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    task: text(d.task),
    code: text(d.code),
    text: text(d.text),
    model: text(d.model),
    warnings: Array.isArray(d.warnings) ? d.warnings.map(String) : [],
    verified: typeof d.verified === 'boolean' ? d.verified : null,
    blocks: readBlockChecks(d.blocks)
  };
}

/**
 * The Markdown of an answer: its prose, and its code once. When the answer's code blocks
 * hold the server's code they are shown as written; otherwise the server's code takes the
 * place of the first block (as the panel does). A fence-less answer gets the code fenced
 * where it stands in the prose. Every code block is re-fenced so that no line inside it
 * (a ``` in a string) can end it.
 */
export function replyMarkdown(reply: { text: string; code: string }): string {
  const code = reply.code.replace(/\s+$/, '');
  let text = reply.text;
  if (code.trim()) {
    if (splitMessage(text).some(segment => segment.kind === 'code')) {
      text = finalMarkdown('', { text, code });
    } else {
      const bare = code.trim();
      const at = text.indexOf(bare);
      text =
        at >= 0
          ? `${text.slice(0, at)}\n\n${fenceCode(code)}\n\n${text.slice(at + bare.length)}`
          : `${text}\n\n${fenceCode(code)}`;
    }
  }
  return splitMessage(text)
    .map(segment =>
      segment.kind === 'prose'
        ? segment.text.trim()
        : fenceCode(segment.code, segment.language || 'python')
    )
    .filter(Boolean)
    .join('\n\n');
}

export class ReplyRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly _options: IRenderMime.IRendererOptions,
    private readonly _rendermime: IRenderMimeRegistry,
    private readonly _tracker: INotebookTracker,
    private readonly _review: ReviewReplace | null = null
  ) {
    super();
    this.addClass('jp-localai-reply');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._disposeChildren();
    this.node.textContent = '';
    let reply: IMagicReply;
    try {
      reply = readMagicReply(model.data[this._options.mimeType]);
    } catch (reason) {
      const error = document.createElement('div');
      error.className = 'jp-localai-note jp-localai-note-error';
      error.textContent = (reason as Error).message;
      this.node.appendChild(error);
      return;
    }
    if (reply.blocks.some(check => check.checked)) {
      await this._renderBlocks(reply);
    } else {
      await this._renderMarkdown(replyMarkdown(reply) || '*(empty answer)*');
    }
    if (reply.warnings.length) {
      const list = document.createElement('ul');
      list.className = 'jp-localai-warnings';
      for (const warning of reply.warnings) {
        const item = document.createElement('li');
        item.textContent = warning;
        list.appendChild(item);
      }
      this.node.appendChild(list);
    }
    this.node.appendChild(this._footer(reply));
  }

  private async _renderMarkdown(source: string): Promise<void> {
    const body = untrustedMarkdownRenderer(this._rendermime);
    this._children.push(body);
    this.node.appendChild(body.node);
    await renderUntrustedMarkdown(body, source);
  }

  /**
   * chat / explain: each checked code block with its own buttons, and the mark of its
   * checks beside it (a failed block's buttons say they act anyway).
   */
  private async _renderBlocks(reply: IMagicReply): Promise<void> {
    for (const segment of splitMessage(replyMarkdown(reply))) {
      if (segment.kind === 'prose') {
        await this._renderMarkdown(segment.text.trim());
        continue;
      }
      await this._renderMarkdown(fenceCode(segment.code, segment.language || 'python'));
      const check = checkFor(reply.blocks, segment.code);
      if (check && check.checked) {
        this.node.appendChild(this._blockBar(segment.code, check));
      }
    }
  }

  private _blockBar(code: string, check: IBlockCheck): HTMLElement {
    const bar = document.createElement('div');
    const failed = failedCheck(check);
    bar.className = `jp-localai-code${failed ? ' jp-localai-code-failed' : ''}`;
    const badge = document.createElement('div');
    badge.className = `jp-localai-check jp-localai-check-${failed ? 'failed' : 'passed'}`;
    badge.dataset.check = failed ? 'failed' : 'passed';
    badge.textContent = failed ? `⚠ ${failedText(check)}` : '✓ checked';
    bar.appendChild(badge);
    const tools = document.createElement('div');
    tools.className = 'jp-localai-code-toolbar';
    const anyway = failed ? ' anyway' : '';
    const warning = failed ? ' (it failed the checks: see the warning)' : '';
    tools.appendChild(
      this._button(`Insert below${anyway}`, `Insert the code as a new cell below this one${warning}`, () =>
        this._act(index => insertBelow(index.panel.content, code, index.index))
      )
    );
    tools.appendChild(
      this._button(`Replace cell${anyway}`, `Replace this cell's source with the code${warning}`, () =>
        this._act(index => replaceCell(index.panel.content, code, index.index))
      )
    );
    tools.appendChild(this._button('Copy', 'Copy the code to the clipboard', () => copyCode(code)));
    bar.appendChild(tools);
    return bar;
  }

  protected onBeforeDetach(): void {
    this._disposeChildren();
  }

  private _footer(reply: IMagicReply): HTMLElement {
    const footer = document.createElement('div');
    footer.className = 'jp-localai-code-toolbar';
    if (reply.code.trim()) {
      footer.appendChild(
        this._button('Insert below', 'Insert the code as a new cell below this one', () =>
          this._act(index => insertBelow(index.panel.content, reply.code, index.index))
        )
      );
      footer.appendChild(
        this._button('Replace cell', "Replace this cell's source with the code", () =>
          this._act(where =>
            this._review
              ? this._review(where, reply.code)
              : replaceCell(where.panel.content, reply.code, where.index)
          )
        )
      );
      footer.appendChild(
        this._button('Copy', 'Copy the code to the clipboard', () => copyCode(reply.code))
      );
    }
    const meta = document.createElement('span');
    meta.className = 'jp-localai-meta';
    const verified =
      reply.verified === true ? 'checked' : reply.verified === false ? 'not checked' : '';
    meta.textContent = [reply.task, reply.model, verified].filter(Boolean).join(' · ');
    footer.appendChild(meta);
    return footer;
  }

  private _act(
    action: (where: { panel: NotebookPanel; index: number }) => void
  ): void {
    const where = locateNode(this._tracker, this.node);
    if (!where) {
      this._flash('This output is not in an open notebook: use Copy instead.');
      return;
    }
    action(where);
  }

  private _button(label: string, title: string, onClick: () => void): HTMLButtonElement {
    const button = document.createElement('button');
    button.className = 'jp-localai-button';
    button.textContent = label;
    button.title = title;
    button.addEventListener('click', onClick);
    return button;
  }

  private _flash(text: string): void {
    const note = document.createElement('div');
    note.className = 'jp-localai-note jp-localai-note-error';
    note.textContent = text;
    this.node.appendChild(note);
  }

  private _disposeChildren(): void {
    for (const child of this._children) {
      child.dispose();
    }
    this._children = [];
  }

  private _children: IRenderMime.IRenderer[] = [];
}

/** Shows the diff of `code` against a cell for review (the panel's Accept / Reject). */
export type ReviewReplace = (
  where: { panel: NotebookPanel; index: number },
  code: string
) => void;

/** `review`, when given, is what "Replace cell" does instead of replacing at once. */
export function replyRendererFactory(
  rendermime: IRenderMimeRegistry,
  tracker: INotebookTracker,
  review: ReviewReplace | null = null
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [REPLY_MIME_TYPE],
    defaultRank: 40,
    createRenderer: options => new ReplyRenderer(options, rendermime, tracker, review)
  };
}
