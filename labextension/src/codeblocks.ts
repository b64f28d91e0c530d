/**
 * Split an answer's Markdown into prose and fenced code, so each code block can carry
 * its own "Insert below / Replace cell / Copy" toolbar. Works on partial text while
 * tokens stream in: an unclosed fence is a code segment that is still growing.
 */

export interface IProseSegment {
  kind: 'prose';
  text: string;
}

export interface ICodeSegment {
  kind: 'code';
  language: string;
  code: string;
  /** False while the closing fence has not arrived yet. */
  closed: boolean;
}

export type Segment = IProseSegment | ICodeSegment;

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([\w+#.-]*)[^\n`]*$/;

export function splitMessage(markdown: string): Segment[] {
  const segments: Segment[] = [];
  const prose: string[] = [];
  let code: string[] | null = null;
  let fence = '';
  let language = '';

  const flushProse = () => {
    const text = prose.join('\n');
    if (text.trim()) {
      segments.push({ kind: 'prose', text });
    }
    prose.length = 0;
  };

  for (const line of markdown.split('\n')) {
    if (code === null) {
      const match = FENCE.exec(line);
      if (match) {
        flushProse();
        fence = match[2];
        language = match[3] ?? '';
        code = [];
      } else {
        prose.push(line);
      }
      continue;
    }
    const trimmed = line.trim();
    if (
      trimmed.startsWith(fence) &&
      trimmed.replace(new RegExp(`^\\${fence[0]}+`), '') === '' &&
      trimmed.length >= fence.length
    ) {
      segments.push({ kind: 'code', language, code: code.join('\n'), closed: true });
      code = null;
    } else {
      code.push(line);
    }
  }
  if (code !== null) {
    segments.push({ kind: 'code', language, code: code.join('\n'), closed: false });
  } else {
    flushProse();
  }
  return segments;
}

/** The code of every fenced block, in order. */
export function extractCodeBlocks(markdown: string): string[] {
  return splitMessage(markdown)
    .filter((s): s is ICodeSegment => s.kind === 'code')
    .map(s => s.code);
}

/** Markdown for one code block, with a fence longer than any backtick run inside. */
export function fenceCode(code: string, language = 'python'): string {
  const runs = code.match(/`+/g) ?? [];
  const longest = runs.reduce((n, run) => Math.max(n, run.length), 0);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${code}\n${fence}`;
}

/**
 * The Markdown to show once an answer is complete. `reply.text` is the model's whole
 * text and `reply.code` the code the server extracted (and checked): the code blocks
 * shown are replaced by that code, so "Insert below" inserts what the server proposes.
 */
export function finalMarkdown(
  streamed: string,
  reply: { code?: string; text?: string }
): string {
  const text = (reply.text ?? '').trim() ? (reply.text as string) : streamed;
  const code = (reply.code ?? '').replace(/\s+$/, '');
  if (!code.trim()) {
    return text;
  }
  const segments = splitMessage(text);
  const blocks = segments.filter(s => s.kind === 'code') as ICodeSegment[];
  if (blocks.some(block => block.code.trim() === code.trim())) {
    return text;
  }
  if (blocks.length === 0) {
    // A bare-code answer (no fences): show it as the one code block.
    return fenceCode(code);
  }
  const parts: string[] = [];
  let placed = false;
  for (const segment of segments) {
    if (segment.kind === 'prose') {
      parts.push(segment.text.trim());
    } else if (!placed) {
      parts.push(fenceCode(code));
      placed = true;
    }
  }
  return parts.filter(Boolean).join('\n\n');
}
