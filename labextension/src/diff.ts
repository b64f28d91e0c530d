/**
 * A line diff of a cell's old and new source (longest common subsequence), for the
 * review shown before an answer replaces a cell. Plain data: the view renders it as text.
 */

export type DiffKind = 'same' | 'add' | 'del';

export interface IDiffLine {
  kind: DiffKind;
  text: string;
  /** 1-based line number in the old source (same / del lines). */
  oldLine?: number;
  /** 1-based line number in the new source (same / add lines). */
  newLine?: number;
}

/**
 * Above this many cells of the LCS table the diff falls back to "all old lines removed,
 * all new added": a cell that large is read whole anyway, and the table would cost
 * seconds on the UI thread.
 */
export const MAX_DIFF_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  return text.replace(/\r\n?/g, '\n').split('\n');
}

/** The lines of `oldText` and `newText` as kept, removed and added, in order. */
export function lineDiff(oldText: string, newText: string): IDiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // Common head and tail are cheap to take out before the table.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle: IDiffLine[] = [];
  const n = midA.length;
  const m = midB.length;
  if (n * m > MAX_DIFF_CELLS) {
    midA.forEach(text => middle.push({ kind: 'del', text }));
    midB.forEach(text => middle.push({ kind: 'add', text }));
  } else {
    // lcs[i][j]: the LCS length of midA[i:] and midB[j:].
    const lcs: Uint32Array[] = [];
    for (let i = 0; i <= n; i++) {
      lcs.push(new Uint32Array(m + 1));
    }
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] =
          midA[i] === midB[j]
            ? lcs[i + 1][j + 1] + 1
            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        middle.push({ kind: 'same', text: midA[i] });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        // Removed lines come before the lines that replace them, as in `diff -u`.
        middle.push({ kind: 'del', text: midA[i] });
        i++;
      } else {
        middle.push({ kind: 'add', text: midB[j] });
        j++;
      }
    }
  }
  const lines: IDiffLine[] = [
    ...a.slice(0, head).map(text => ({ kind: 'same' as const, text })),
    ...middle,
    ...a.slice(a.length - tail).map(text => ({ kind: 'same' as const, text }))
  ];
  let oldLine = 0;
  let newLine = 0;
  for (const line of lines) {
    if (line.kind !== 'add') {
      line.oldLine = ++oldLine;
    }
    if (line.kind !== 'del') {
      line.newLine = ++newLine;
    }
  }
  return lines;
}

/** How many lines were added and removed. */
export function diffStats(lines: ReadonlyArray<IDiffLine>): { added: number; removed: number } {
  return {
    added: lines.filter(l => l.kind === 'add').length,
    removed: lines.filter(l => l.kind === 'del').length
  };
}

/** The diff as unified text (`+`, `-`, ` ` prefixes): for copying and for tests. */
export function unifiedText(lines: ReadonlyArray<IDiffLine>): string {
  const mark: { [kind in DiffKind]: string } = { same: ' ', add: '+', del: '-' };
  return lines.map(l => `${mark[l.kind]}${l.text}`).join('\n');
}
