/**
 * Model text is untrusted input: it is rendered through JupyterLab's sanitizer (no script),
 * and, here, made unable to load anything. JupyterLab's sanitizer keeps `<img src=http://…>`,
 * Markdown images, `<video poster>`, `srcset` and CSS `url(…)`; any of them would make the
 * browser request a URL the model chose, e.g. `http://attacker/?data=<notebook data>`, with
 * no script at all. Both views of model text (the panel's Markdown and the magics' answer
 * renderer) render through `untrustedMarkdownRenderer`, whose sanitizer first runs
 * JupyterLab's, then rewrites the result in an inert document (one that loads nothing)
 * before the page ever parses it:
 *
 * - `img`, `video`, `audio`, `source`, `picture`, `iframe`, `object`, `embed`, `link`, … whose
 *   URL is not `data:` or `blob:` become a text placeholder, "[image not loaded: alt]";
 * - URL attributes elsewhere (`srcset`, `poster`, `background`, SVG `href`) are dropped, and so
 *   are `style` attributes that could name a URL, and `<style>`, `<meta>`, `<base>`;
 * - links stay clickable (a click is the user's act): absolute ones open in a new tab, all
 *   with `rel="noopener noreferrer"` and `referrerpolicy="no-referrer"` (JupyterLab sets
 *   `rel="noopener"` again after typesetting math; the policy attribute it leaves alone);
 *   JupyterLab's command-linker attributes are dropped, so a button the model wrote cannot
 *   run a JupyterLab command.
 */
import { IRenderMime, IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';

const MARKDOWN = 'text/markdown';

/** Elements that fetch what their URL names: replaced by a placeholder unless inert. */
const LOADING_ELEMENTS: { [tag: string]: string } = {
  img: 'image',
  image: 'image', // SVG
  picture: 'image',
  source: 'media',
  track: 'media',
  video: 'video',
  audio: 'audio',
  iframe: 'frame',
  frame: 'frame',
  frameset: 'frame',
  object: 'object',
  embed: 'object',
  applet: 'object',
  portal: 'frame',
  link: 'link',
  input: 'image' // only `type=image` has a src; kept otherwise
};

/** Elements removed with their content: they load or redirect without showing anything. */
const REMOVED_ELEMENTS = ['style', 'meta', 'base', 'script', 'noscript', 'template'];

/** Attributes that name a URL to load (or, for `ping`, to send a request to on click). */
const URL_ATTRIBUTES = [
  'src',
  'srcset',
  'poster',
  'background',
  'data',
  'codebase',
  'archive',
  'lowsrc',
  'dynsrc',
  'longdesc',
  'imagesrcset',
  'ping',
  'action',
  'formaction',
  'manifest',
  'xlink:href'
];

/** Attributes dropped wherever they are: JupyterLab runs a command on a click on them. */
const COMMAND_ATTRIBUTES = ['data-commandlinker-command', 'data-commandlinker-args'];

/** CSS that could name a URL (`url(`, `image-set(`, `src(`, `@import`, escapes hiding them). */
const CSS_URL = /url|image|src|@|\\/i;

/** True for a URL that loads nothing from anywhere: `data:` and `blob:`. */
export function isInertUrl(url: string | null): boolean {
  return url !== null && /^(data|blob):/i.test(url.trim());
}

/** Every value of a `srcset`-like attribute is inert (an empty one counts as inert). */
function isInertSrcset(value: string): boolean {
  return value
    .split(',')
    .map(candidate => candidate.trim().split(/\s+/)[0])
    .filter(Boolean)
    .every(url => isInertUrl(url));
}

function placeholder(doc: Document, element: Element, kind: string): HTMLElement {
  const label = ['alt', 'title', 'aria-label']
    .map(name => element.getAttribute(name) ?? '')
    .find(value => value.trim()) ?? '';
  const span = doc.createElement('span');
  span.className = 'jp-localai-blocked';
  span.title = 'Model-written content is never loaded from a URL';
  span.textContent = `[${kind} not loaded${label.trim() ? `: ${label.trim()}` : ''}]`;
  return span;
}

/** Does this element, as written, fetch something that is not inert? */
function loadsRemote(element: Element): boolean {
  switch (element.localName) {
    case 'input':
      return (element.getAttribute('type') || '').toLowerCase() === 'image';
    case 'picture': // its wrapper holds nothing to show without its sources
    case 'link': // loads by its rel
    case 'iframe': // a frame can load and navigate, even from a data: URL
    case 'frame':
    case 'frameset':
    case 'portal':
    case 'object':
    case 'embed':
    case 'applet':
      return true;
  }
  const urls = ['src', 'href', 'xlink:href', 'poster']
    .map(name => element.getAttribute(name))
    .filter((value): value is string => value !== null);
  const srcset = element.getAttribute('srcset');
  return urls.some(url => !isInertUrl(url)) || (srcset !== null && !isInertSrcset(srcset));
}

/**
 * Rewrite the nodes under `root` so that none loads a resource (see the module's doc).
 * Works on a live node too; for HTML not yet in the page, use `blockRemoteResources`.
 * Returns how many elements became placeholders.
 */
export function blockRemoteNodes(root: Element | DocumentFragment): number {
  const doc = root.ownerDocument as Document;
  let blocked = 0;
  for (const element of Array.from(root.querySelectorAll(REMOVED_ELEMENTS.join(',')))) {
    element.remove();
  }
  // Outermost first: a <video> replaced takes its <source> children with it.
  for (const element of Array.from(root.querySelectorAll('*'))) {
    if (!root.contains(element)) {
      continue; // inside an element already replaced
    }
    const kind = LOADING_ELEMENTS[element.localName];
    if (kind !== undefined && loadsRemote(element)) {
      element.replaceWith(placeholder(doc, element, kind));
      blocked += 1;
      continue;
    }
    for (const name of URL_ATTRIBUTES) {
      const value = element.getAttribute(name);
      if (value === null) {
        continue;
      }
      const inert = name.endsWith('srcset') ? isInertSrcset(value) : isInertUrl(value);
      if (!inert || name === 'ping' || name === 'action' || name === 'formaction') {
        element.removeAttribute(name);
      }
    }
    // SVG: <use href>, <feImage href>, <a xlink:href> and the like.
    if (element.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      for (const attribute of Array.from(element.attributes)) {
        if (/(^|:)href$/i.test(attribute.name) && !isInertUrl(attribute.value)) {
          element.removeAttribute(attribute.name);
        }
      }
    }
    const style = element.getAttribute('style');
    if (style !== null && CSS_URL.test(style)) {
      element.removeAttribute('style');
    }
    for (const name of COMMAND_ATTRIBUTES) {
      element.removeAttribute(name);
    }
    if (element.localName === 'a' && element.hasAttribute('href')) {
      hardenLink(element);
    }
  }
  return blocked;
}

/** A link of model text: absolute ones open in a new tab; none sends an opener or referrer. */
function hardenLink(anchor: Element): void {
  const href = (anchor.getAttribute('href') || '').trim();
  if (href.startsWith('#')) {
    return; // a heading anchor in the same view
  }
  const rel = new Set((anchor.getAttribute('rel') || '').split(/\s+/).filter(Boolean));
  rel.add('noopener');
  rel.add('noreferrer');
  anchor.setAttribute('rel', Array.from(rel).join(' '));
  anchor.setAttribute('referrerpolicy', 'no-referrer');
  if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(href)) {
    anchor.setAttribute('target', '_blank');
  }
}

/** The HTML host in an inert document: nothing parsed into it loads or runs. */
function inertHost(): HTMLElement {
  const doc = document.implementation.createHTMLDocument('');
  return doc.createElement('div');
}

/**
 * `html` (already sanitized) with every resource-loading element replaced and URL attributes
 * dropped. Parsed in an inert document, and parsed again to check that the serialized result
 * still loads nothing (HTML that changes when re-parsed is shown as text instead).
 */
export function blockRemoteResources(html: string): string {
  let source = html;
  for (let round = 0; round < 3; round++) {
    const host = inertHost();
    host.innerHTML = source;
    const changed = blockRemoteNodes(host) > 0 || host.innerHTML !== source;
    source = host.innerHTML;
    if (!changed) {
      return source;
    }
  }
  const host = inertHost();
  host.textContent = html;
  return host.innerHTML;
}

/** JupyterLab's sanitizer, then `blockRemoteResources` on what it returns. */
export class NoRemoteSanitizer implements IRenderMime.ISanitizer {
  constructor(private readonly _inner: IRenderMime.ISanitizer) {}

  sanitize(dirty: string, options?: IRenderMime.ISanitizerOptions): string {
    return blockRemoteResources(this._inner.sanitize(dirty, options));
  }

  getAutolink(): boolean {
    return this._inner.getAutolink?.() ?? true;
  }

  get allowNamedProperties(): boolean {
    return this._inner.allowNamedProperties ?? false;
  }

  /** Command-linker attributes are always dropped (see `blockRemoteNodes`). */
  get allowCommandLinker(): boolean {
    return false;
  }
}

const untrustedRegistries = new WeakMap<IRenderMimeRegistry, IRenderMimeRegistry>();

/** A copy of `rendermime` whose sanitizer also blocks every remote resource. */
export function untrustedRendermime(rendermime: IRenderMimeRegistry): IRenderMimeRegistry {
  let registry = untrustedRegistries.get(rendermime);
  if (!registry) {
    registry = rendermime.clone({ sanitizer: new NoRemoteSanitizer(rendermime.sanitizer) });
    untrustedRegistries.set(rendermime, registry);
  }
  return registry;
}

/** A Markdown renderer for model text (the panel's and the answer renderer's). */
export function untrustedMarkdownRenderer(
  rendermime: IRenderMimeRegistry
): IRenderMime.IRenderer {
  const renderer = untrustedRendermime(rendermime).createRenderer(MARKDOWN);
  renderer.addClass('jp-localai-markdown');
  return renderer;
}

/**
 * Render model Markdown: untrusted (sanitized, even in a trusted output), with nothing
 * loaded; afterwards the rendered node is checked once more (JupyterLab adds its own
 * anchors and attributes after sanitizing) and its links hardened.
 */
export async function renderUntrustedMarkdown(
  renderer: IRenderMime.IRenderer,
  source: string
): Promise<void> {
  await renderer.renderModel(new MimeModel({ data: { [MARKDOWN]: source }, trusted: false }));
  blockRemoteNodes(renderer.node);
}
