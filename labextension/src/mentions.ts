/**
 * `@` mentions of the composer: find the `@name` being typed at the caret, the kernel's
 * variables that complete it, and what a question says about the variables it names.
 */
import { IVariableSummary } from './types';

/** The `@` word the caret is in: where it starts (at the `@`) and what follows it. */
export interface IMentionQuery {
  start: number;
  end: number;
  query: string;
}

const NAME_CHAR = /[\p{L}\p{N}_]/u;

/**
 * The mention being typed at `caret`, or null. An `@` counts when it starts the text or
 * follows whitespace or an opening bracket (so `a@b` in an e-mail or `x @ y` matrix
 * product followed by a space is not one); the word runs from it to the caret.
 */
export function mentionAt(text: string, caret: number): IMentionQuery | null {
  let i = caret;
  while (i > 0 && NAME_CHAR.test(text[i - 1])) {
    i--;
  }
  if (i === 0 || text[i - 1] !== '@') {
    return null;
  }
  const at = i - 1;
  if (at > 0 && !/[\s([{,]/.test(text[at - 1])) {
    return null;
  }
  let end = caret;
  while (end < text.length && NAME_CHAR.test(text[end])) {
    end++;
  }
  return { start: at, end, query: text.slice(i, caret) };
}

/** Variables whose name starts with the query (case-insensitive), then ones containing it. */
export function completeMention(
  query: string,
  variables: ReadonlyArray<IVariableSummary>,
  limit = 8
): IVariableSummary[] {
  const q = query.toLowerCase();
  const starts = variables.filter(v => v.name.toLowerCase().startsWith(q));
  const contains = variables.filter(
    v => !v.name.toLowerCase().startsWith(q) && v.name.toLowerCase().includes(q)
  );
  return [...starts, ...contains].slice(0, limit);
}

/** The text with the mention replaced by `@name ` and where the caret goes after it. */
export function applyMention(
  text: string,
  mention: IMentionQuery,
  name: string
): { text: string; caret: number } {
  const before = text.slice(0, mention.start);
  const after = text.slice(mention.end).replace(/^ /, '');
  const inserted = `@${name} `;
  return { text: before + inserted + after, caret: before.length + inserted.length };
}

/**
 * What the model gets for a question: `@name` of a chosen variable becomes `name`, and the
 * chosen variables' summaries follow the question. They go with the question (its end),
 * not into the context's variable block, so that block (a prefix the model may reuse) is
 * the same whatever the question names.
 */
export function promptWithMentions(
  text: string,
  mentioned: ReadonlyArray<IVariableSummary>
): string {
  if (mentioned.length === 0) {
    return text;
  }
  let prompt = text;
  for (const variable of mentioned) {
    const escaped = variable.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    prompt = prompt.replace(new RegExp(`(^|[\\s([{,])@${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), `$1${variable.name}`);
  }
  const lines = mentioned.map(v => `- ${v.name} (${v.type_name}): ${v.summary}`);
  return `${prompt}\n\nThe variables this question names:\n${lines.join('\n')}`;
}
