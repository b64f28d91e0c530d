import { applyMention, completeMention, mentionAt, promptWithMentions } from '../mentions';
import { IVariableSummary } from '../types';

const variable = (name: string, type_name = 'int', summary = `${name} summary`): IVariableSummary => ({
  name,
  type_name,
  summary,
  relevance: 0
});

describe('mentionAt', () => {
  it('finds the word after an @ at the caret', () => {
    expect(mentionAt('plot @df', 8)).toEqual({ start: 5, end: 8, query: 'df' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, end: 1, query: '' });
    expect(mentionAt('(@sal', 5)).toEqual({ start: 1, end: 5, query: 'sal' });
  });

  it('spans the whole word when the caret is inside it', () => {
    expect(mentionAt('use @sales now', 7)).toEqual({ start: 4, end: 10, query: 'sa' });
  });

  it('ignores e-mail addresses, matrix products and words without an @', () => {
    expect(mentionAt('mail me@host', 12)).toBeNull();
    expect(mentionAt('a @ b', 5)).toBeNull();
    expect(mentionAt('plain words', 5)).toBeNull();
    expect(mentionAt('@df and more', 12)).toBeNull();
  });
});

describe('completeMention', () => {
  const vars = [variable('df'), variable('sales_df'), variable('Data'), variable('x')];
  it('lists prefix matches first, then other matches, case-insensitively', () => {
    expect(completeMention('d', vars).map(v => v.name)).toEqual(['df', 'Data', 'sales_df']);
    expect(completeMention('', vars).map(v => v.name)).toEqual(['df', 'sales_df', 'Data', 'x']);
    expect(completeMention('zz', vars)).toEqual([]);
    expect(completeMention('', vars, 2)).toHaveLength(2);
  });
});

describe('applyMention', () => {
  it('replaces the typed word with the full name and a space, caret after it', () => {
    const text = 'mean of @sa please';
    const mention = mentionAt(text, 11)!;
    expect(applyMention(text, mention, 'sales')).toEqual({
      text: 'mean of @sales please',
      caret: 15
    });
  });
});

describe('promptWithMentions', () => {
  it('strips the @ of chosen names and appends their summaries', () => {
    const prompt = promptWithMentions('plot @df against @x, not @dfx or me@df', [
      variable('df', 'DataFrame', '4 rows x 2 columns'),
      variable('x')
    ]);
    expect(prompt).toBe(
      'plot df against x, not @dfx or me@df\n\n' +
        'The variables this question names:\n' +
        '- df (DataFrame): 4 rows x 2 columns\n' +
        '- x (int): x summary'
    );
  });

  it('leaves a question without chosen variables unchanged', () => {
    expect(promptWithMentions('what about @df?', [])).toBe('what about @df?');
  });
});

import { readPanelChoices } from '../panelState';

describe('readPanelChoices', () => {
  it('keeps a known task and a boolean verify, drops anything else', () => {
    expect(readPanelChoices({ task: 'fix', verify: true })).toEqual({ task: 'fix', verify: true });
    expect(readPanelChoices({ task: 'rm -rf', verify: 'yes' })).toEqual({});
    expect(readPanelChoices(null)).toBeNull();
    expect(readPanelChoices([1])).toBeNull();
  });
});
