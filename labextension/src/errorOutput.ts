/**
 * "Fix with Local AI" on error outputs. The renderer of `application/vnd.jupyter.error`
 * (and of stderr that holds a Python traceback) is wrapped: the registry's own renderer
 * draws the output as before, and a button below it asks the panel for a fix of the cell
 * that holds the output. Registered through the rendermime registry, so every notebook
 * (each clones the registry) gets it without touching any DOM JupyterLab draws.
 */
import { IRenderMime, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { PanelLayout, Widget } from '@lumino/widgets';

export const ERROR_MIME_TYPE = 'application/vnd.jupyter.error';
export const STDERR_MIME_TYPE = 'application/vnd.jupyter.stderr';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Text on stderr that is an uncaught Python exception (a kernel's or a subprocess's). */
export function isTracebackText(text: string): boolean {
  return /Traceback \(most recent call last\)/.test(text.replace(ANSI, ''));
}

/**
 * Whether an output gets the button: an error output (JupyterLab 4 renders its bundle,
 * which holds the error and its traceback as stderr text, with whichever of the two
 * ranks first), or stderr text holding a Python traceback.
 */
export function offersFix(bundle: { readonly [mime: string]: unknown }): boolean {
  if (bundle[ERROR_MIME_TYPE] !== undefined) {
    return true;
  }
  const data = bundle[STDERR_MIME_TYPE];
  const text = Array.isArray(data) ? data.join('') : typeof data === 'string' ? data : '';
  return isTracebackText(text);
}

/** Asks for a fix of the cell that holds `node` (an output of it). */
export type FixRequest = (node: HTMLElement) => void;

/** The registry's renderer of an output, with the button below it. */
export class FixableOutputRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly _inner: IRenderMime.IRenderer,
    onFix: FixRequest,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-localai-fixable-output');
    const layout = new PanelLayout();
    this.layout = layout;
    layout.addWidget(_inner);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-localai-button jp-localai-fix-output';
    button.textContent = trans.__('Fix with Local AI');
    button.title = trans.__(
      "Ask the local model to fix this cell, with this error (the panel's Verify box applies)"
    );
    button.addEventListener('click', () => onFix(this.node));
    const bar = new Widget({ node: document.createElement('div') });
    bar.addClass('jp-localai-fix-output-bar');
    bar.node.appendChild(button);
    this._bar = bar;
    layout.addWidget(bar);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    await this._inner.renderModel(model);
    this._bar.setHidden(!offersFix(model.data));
  }

  private _bar: Widget;
}

/**
 * Factories for the error and stderr types, one per type, each delegating to the factory
 * the registry had for it (JupyterLab's own) and keeping its rank and safety.
 */
export function fixableOutputFactories(
  rendermime: IRenderMimeRegistry,
  onFix: FixRequest,
  trans: TranslationBundle
): { factory: IRenderMime.IRendererFactory; rank: number | undefined }[] {
  const made: { factory: IRenderMime.IRendererFactory; rank: number | undefined }[] = [];
  for (const mimeType of [ERROR_MIME_TYPE, STDERR_MIME_TYPE]) {
    const delegate = rendermime.getFactory(mimeType);
    if (!delegate) {
      continue;
    }
    const rank = rendermime.getRank(mimeType);
    made.push({
      rank,
      factory: {
        safe: delegate.safe,
        defaultRank: rank,
        mimeTypes: [mimeType],
        createRenderer: options =>
          new FixableOutputRenderer(
            delegate.createRenderer(options),
            onFix,
            trans
          )
      }
    });
  }
  return made;
}
