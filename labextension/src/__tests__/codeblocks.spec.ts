import { extractCodeBlocks, fenceCode, finalMarkdown, splitMessage } from '../codeblocks';

describe('splitMessage', () => {
  it('separates prose and fenced code, keeping the language', () => {
    const md = 'Here:\n\n```python\nx = 1\nprint(x)\n```\n\nDone.';
    expect(splitMessage(md)).toEqual([
      { kind: 'prose', text: 'Here:\n' },
      { kind: 'code', language: 'python', code: 'x = 1\nprint(x)', closed: true },
      { kind: 'prose', text: '\nDone.' }
    ]);
  });

  it('marks a fence that is still streaming as open', () => {
    const segments = splitMessage('Sure.\n```python\nimport pandas as pd\ndf.gr');
    expect(segments[1]).toEqual({
      kind: 'code',
      language: 'python',
      code: 'import pandas as pd\ndf.gr',
      closed: false
    });
  });

  it('does not close a fence on a shorter or different fence', () => {
    const md = '````\n```\ninner\n```\n````';
    expect(extractCodeBlocks(md)).toEqual(['```\ninner\n```']);
    expect(extractCodeBlocks('~~~\na\n```\n~~~')).toEqual(['a\n```']);
  });

  it('finds every block in order', () => {
    const md = '```\na\n```\ntext\n```py\nb\n```';
    expect(extractCodeBlocks(md)).toEqual(['a', 'b']);
  });
});

describe('fenceCode', () => {
  it('uses a fence longer than any backtick run in the code', () => {
    const code = 's = "```"';
    const fenced = fenceCode(code);
    expect(fenced.startsWith('````python\n')).toBe(true);
    expect(extractCodeBlocks(fenced)).toEqual([code]);
  });
});

describe('finalMarkdown', () => {
  it('keeps the streamed text when its block is the reply code', () => {
    const streamed = '```python\ny = 2\n```\nAssigns y.';
    expect(finalMarkdown(streamed, { code: 'y = 2\n', text: streamed })).toBe(streamed);
  });

  it('fences a bare-code answer', () => {
    const out = finalMarkdown('y = 2', { code: 'y = 2', text: 'y = 2' });
    expect(extractCodeBlocks(out)).toEqual(['y = 2']);
  });

  it('shows the server code in place of the streamed blocks when they differ', () => {
    const text = 'Fixed:\n```python\n>>> y = 2\n```\nBye.';
    const out = finalMarkdown(text, { code: 'y = 2', text });
    expect(extractCodeBlocks(out)).toEqual(['y = 2']);
    expect(out).toContain('Fixed:');
    expect(out).toContain('Bye.');
  });

  it('falls back to the stream when the reply has no text', () => {
    expect(finalMarkdown('streamed words', { code: '', text: '' })).toBe('streamed words');
  });
});
