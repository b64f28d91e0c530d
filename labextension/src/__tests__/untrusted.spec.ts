import { Sanitizer } from '@jupyterlab/apputils';
import {
  IRenderMime,
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';

import {
  blockRemoteResources,
  isInertUrl,
  NoRemoteSanitizer,
  renderUntrustedMarkdown,
  untrustedMarkdownRenderer,
  untrustedRendermime
} from '../untrusted';

const LEAK = 'http://127.0.0.1:9/leak?x=secret';
const GIF = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';

/** Every URL the HTML would make the browser fetch (what the tests forbid). */
function fetchedUrls(html: string): string[] {
  const host = document.implementation.createHTMLDocument('').createElement('div');
  host.innerHTML = html;
  const urls: string[] = [];
  for (const element of Array.from(host.querySelectorAll('*'))) {
    if (element.localName === 'style' && /url\(/.test(element.textContent ?? '')) {
      urls.push(`style=${element.textContent}`);
    }
    for (const attribute of Array.from(element.attributes)) {
      if (attribute.name === 'href' && element.localName === 'a') {
        continue; // followed only on a click
      }
      for (const match of attribute.value.match(/(https?:)?\/\/[^\s"')]+/g) ?? []) {
        urls.push(`${element.localName}[${attribute.name}]=${match}`);
      }
    }
  }
  return urls;
}

/** A stand-in Markdown parser: images and links as markdown-it writes them. */
const markdownParser: IRenderMime.IMarkdownParser = {
  render: async (source: string) =>
    source
      .replace(/!\[([^\]]*)\]\(([^)]*)\)/g, '<img src="$2" alt="$1">')
      .replace(/\[([^\]]*)\]\(([^)]*)\)/g, '<a href="$2">$1</a>')
};

function registry(): RenderMimeRegistry {
  return new RenderMimeRegistry({
    initialFactories: standardRendererFactories,
    sanitizer: new Sanitizer(),
    markdownParser
  });
}

describe('isInertUrl', () => {
  it('accepts only data: and blob: URLs', () => {
    expect(isInertUrl(GIF)).toBe(true);
    expect(isInertUrl(' BLOB:http://x/1')).toBe(true);
    const urls = [LEAK, '//evil.example/x', 'x.png', '/files/x.png', 'attachment:a.png', ''];
    for (const url of [...urls, null]) {
      expect(isInertUrl(url)).toBe(false);
    }
  });
});

describe('blockRemoteResources', () => {
  it('replaces remote images by a placeholder naming their alt text', () => {
    const html = blockRemoteResources(`<p>See <img src="${LEAK}" alt="the chart"> here</p>`);
    expect(fetchedUrls(html)).toEqual([]);
    expect(html).toContain('[image not loaded: the chart]');
    expect(html).toContain('See ');
  });

  it('blocks images with a relative URL (a file of the server)', () => {
    expect(blockRemoteResources('<img src="relative.png">')).toBe(
      '<span class="jp-localai-blocked" title="Model-written content is never loaded from a URL">' +
        '[image not loaded]</span>'
    );
  });

  it('never keeps a frame, an object or an embed, even of a data: URL', () => {
    for (const tag of ['iframe', 'object', 'embed']) {
      const html = blockRemoteResources(`<${tag} src="${GIF}" data="${GIF}"></${tag}>`);
      expect(html).not.toContain(`<${tag}`);
      expect(html).toContain('not loaded');
    }
  });

  it('keeps inline data: images', () => {
    const html = blockRemoteResources(`<img src="${GIF}" alt="dot">`);
    expect(html).toContain(`src="${GIF}"`);
    expect(html).not.toContain('not loaded');
  });

  it('blocks every element and attribute that loads a URL', () => {
    const vectors = [
      `<img src="${LEAK}">`,
      `<img src="${GIF}" srcset="${LEAK} 2x">`,
      `<picture><source srcset="${LEAK}"><img src="${GIF}"></picture>`,
      `<video poster="${LEAK}"></video>`,
      `<video src="${LEAK}"></video>`,
      `<video><source src="${LEAK}"><track src="${LEAK}"></video>`,
      `<audio src="${LEAK}"></audio>`,
      `<iframe src="${LEAK}"></iframe>`,
      `<object data="${LEAK}"></object>`,
      `<embed src="${LEAK}">`,
      `<link rel="stylesheet" href="${LEAK}">`,
      `<link rel="prefetch" href="${LEAK}">`,
      `<style>@import url(${LEAK});</style>`,
      `<div style="background-image: url(${LEAK})">x</div>`,
      `<div style="background: u\\72l(${LEAK})">x</div>`,
      `<table background="${LEAK}"><tr><td>x</td></tr></table>`,
      `<input type="image" src="${LEAK}">`,
      `<svg><image href="${LEAK}"></image><use href="${LEAK}#a"></use></svg>`,
      `<svg><image xlink:href="${LEAK}"></image></svg>`,
      `<meta http-equiv="refresh" content="0;url=${LEAK}">`,
      `<base href="${LEAK}">`,
      `<a href="https://example.org" ping="${LEAK}">link</a>`
    ];
    for (const vector of vectors) {
      expect({ vector, before: fetchedUrls(vector).length }).not.toEqual({ vector, before: 0 });
      expect({ vector, fetched: fetchedUrls(blockRemoteResources(vector)) }).toEqual({
        vector,
        fetched: []
      });
    }
  });

  it('keeps links clickable, in a new tab, without opener or referrer', () => {
    const host = document.createElement('div');
    host.innerHTML = blockRemoteResources('<a href="https://example.org/docs">docs</a>');
    const link = host.querySelector('a') as HTMLAnchorElement;
    expect(link.getAttribute('href')).toBe('https://example.org/docs');
    expect(link.target).toBe('_blank');
    expect(link.rel.split(' ').sort()).toEqual(['noopener', 'noreferrer']);
    expect(link.getAttribute('referrerpolicy')).toBe('no-referrer');
  });

  it("drops JupyterLab's command-linker attributes", () => {
    const html = blockRemoteResources(
      '<button data-commandlinker-command="notebook:run-all-cells">Run</button>'
    );
    expect(html).toBe('<button>Run</button>');
  });

  it('leaves HTML without resources as it is', () => {
    const html = '<p>Here is <strong>bold</strong> and <code>x &lt; 1</code>.</p>';
    expect(blockRemoteResources(html)).toBe(html);
  });
});

describe('NoRemoteSanitizer', () => {
  it("runs JupyterLab's sanitizer first, then blocks what it lets through", () => {
    const sanitizer = new NoRemoteSanitizer(new Sanitizer());
    const html = sanitizer.sanitize(
      `<img src="${LEAK}" onerror="window.__pwned=1"><script>window.__pwned=2</script>`
    );
    expect(html).not.toContain('onerror');
    expect(html).not.toContain('script');
    expect(fetchedUrls(html)).toEqual([]);
    expect(sanitizer.allowCommandLinker).toBe(false);
  });
});

describe('untrustedMarkdownRenderer', () => {
  it('renders Markdown and HTML images of model text as placeholders', async () => {
    const rendermime = registry();
    const renderer = untrustedMarkdownRenderer(rendermime);
    document.body.appendChild(renderer.node);
    // Capture what the page would parse: the HTML given to innerHTML.
    const assigned: string[] = [];
    const descriptor = Object.getOwnPropertyDescriptor(Element.prototype, 'innerHTML')!;
    Object.defineProperty(renderer.node, 'innerHTML', {
      set(value: string) {
        assigned.push(value);
        descriptor.set!.call(this, value);
      },
      get() {
        return descriptor.get!.call(this);
      },
      configurable: true
    });
    await renderUntrustedMarkdown(
      renderer,
      `Look ![x](http://127.0.0.1:9/leak2) and <img src="${LEAK}" alt="chart"> ` +
        'and [docs](https://example.org/docs)'
    );
    expect(assigned.length).toBeGreaterThan(0);
    for (const html of assigned) {
      expect(fetchedUrls(html)).toEqual([]);
    }
    expect(renderer.node.querySelectorAll('img')).toHaveLength(0);
    expect(renderer.node.textContent).toContain('[image not loaded: x]');
    expect(renderer.node.textContent).toContain('[image not loaded: chart]');
    const link = renderer.node.querySelector('a') as HTMLAnchorElement;
    expect(link.target).toBe('_blank');
    expect(link.rel.split(' ')).toEqual(expect.arrayContaining(['noopener', 'noreferrer']));
    renderer.dispose();
    renderer.node.remove();
  });

  it('clones the registry once, keeping the original untouched', () => {
    const rendermime = registry();
    const untrusted = untrustedRendermime(rendermime);
    expect(untrustedRendermime(rendermime)).toBe(untrusted);
    expect(untrusted).not.toBe(rendermime);
    expect(untrusted.sanitizer).toBeInstanceOf(NoRemoteSanitizer);
    expect(rendermime.sanitizer).toBeInstanceOf(Sanitizer);
  });
});
