import { diffStats, lineDiff, MAX_DIFF_CELLS, unifiedText } from '../diff';

describe('lineDiff', () => {
  it('keeps common lines and marks the changed one as removed then added', () => {
    const lines = lineDiff('import pandas\ndf["temperature"]\nprint(df)', 'import pandas\ndf["temp"]\nprint(df)');
    expect(unifiedText(lines)).toBe(' import pandas\n-df["temperature"]\n+df["temp"]\n print(df)');
    expect(diffStats(lines)).toEqual({ added: 1, removed: 1 });
  });

  it('numbers lines on each side', () => {
    const lines = lineDiff('a\nb', 'x\na\nb');
    expect(lines.map(l => [l.kind, l.oldLine, l.newLine])).toEqual([
      ['add', undefined, 1],
      ['same', 1, 2],
      ['same', 2, 3]
    ]);
  });

  it('finds the longest common subsequence in a reordered middle', () => {
    const old = 'a\nb\nc\nd\ne';
    const next = 'a\nc\nb\nd\ne';
    const lines = lineDiff(old, next);
    // Reconstructing each side from the diff gives back the inputs.
    expect(lines.filter(l => l.kind !== 'add').map(l => l.text).join('\n')).toBe(old);
    expect(lines.filter(l => l.kind !== 'del').map(l => l.text).join('\n')).toBe(next);
    expect(lines.filter(l => l.kind === 'same').length).toBe(4);
  });

  it('handles empty sides and identical text', () => {
    expect(unifiedText(lineDiff('', 'x = 1'))).toBe('+x = 1');
    expect(unifiedText(lineDiff('x = 1', ''))).toBe('-x = 1');
    expect(diffStats(lineDiff('same\ntext', 'same\ntext'))).toEqual({ added: 0, removed: 0 });
    expect(lineDiff('', '')).toEqual([]);
  });

  it('treats CRLF like LF', () => {
    expect(diffStats(lineDiff('a\r\nb', 'a\nb'))).toEqual({ added: 0, removed: 0 });
  });

  it('falls back to remove-all / add-all beyond the size limit, still reconstructing both sides', () => {
    const size = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 10;
    const old = Array.from({ length: size }, (_, i) => `old ${i}`).join('\n');
    const next = Array.from({ length: size }, (_, i) => `new ${i}`).join('\n');
    const lines = lineDiff(`head\n${old}\ntail`, `head\n${next}\ntail`);
    expect(lines[0]).toMatchObject({ kind: 'same', text: 'head' });
    expect(lines[lines.length - 1]).toMatchObject({ kind: 'same', text: 'tail' });
    expect(diffStats(lines)).toEqual({ added: size, removed: size });
  });
});
