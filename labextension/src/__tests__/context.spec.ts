import {
  applySelection,
  cellsFromDocument,
  contextChips,
  FULL_SELECTION,
  kernelContextCode,
  mergeContexts,
  outputText,
  parseKernelContext,
  removeChip
} from '../context';
import { INotebookContext } from '../types';

const context: INotebookContext = {
  cells: [
    { number: 1, source: 'import pandas as pd', output: '', error: '' },
    { number: 2, source: 'df = pd.DataFrame()', output: '', error: '' }
  ],
  variables: [
    { name: 'df', type_name: 'DataFrame', summary: '3 rows x 2 columns', relevance: 1 },
    { name: 'api_key', type_name: 'str', summary: '<redacted>', relevance: 0 }
  ],
  last_error: {
    source: 'df.shapee',
    exc_type: 'AttributeError',
    message: "no attribute 'shapee'",
    traceback: '',
    cell_number: 3,
    suggestions: ["Did you mean: 'shape'?"]
  },
  imports: ['pandas']
};

describe('context chips', () => {
  it('shows one chip per variable, the cell count and the last error', () => {
    const labels = contextChips(context, FULL_SELECTION).map(c => c.label);
    expect(labels).toEqual([
      '2 cells',
      'last error: AttributeError',
      'df: DataFrame',
      'api_key: str'
    ]);
  });

  it('removing chips removes exactly those parts from what is sent', () => {
    let selection = FULL_SELECTION;
    const chips = contextChips(context, selection);
    selection = removeChip(selection, chips.find(c => c.key === 'var:api_key')!);
    selection = removeChip(selection, chips.find(c => c.kind === 'error')!);
    const sent = applySelection(context, selection);
    expect(sent.variables.map(v => v.name)).toEqual(['df']);
    expect(sent.last_error).toBeNull();
    expect(sent.cells).toHaveLength(2);
    expect(contextChips(context, selection).map(c => c.key)).toEqual(['cells', 'var:df']);
    // the full context is untouched, so a refresh can restore it
    expect(context.variables).toHaveLength(2);
  });

  it('keeps a removed variable removed when the context is refreshed', () => {
    const selection = removeChip(FULL_SELECTION, { kind: 'variable', key: 'var:df' });
    const refreshed = {
      ...context,
      variables: [...context.variables, { name: 'z', type_name: 'int', summary: '3', relevance: 0 }]
    };
    expect(applySelection(refreshed, selection).variables.map(v => v.name)).toEqual([
      'api_key',
      'z'
    ]);
  });

  it('removing the cells chip sends no cells', () => {
    const selection = removeChip(FULL_SELECTION, { kind: 'cells', key: 'cells' });
    expect(applySelection(context, selection).cells).toEqual([]);
  });
});

describe('cellsFromDocument', () => {
  const cells = [
    { cellType: 'markdown', source: '# title', executionCount: null, outputs: [] },
    {
      cellType: 'code',
      source: 'print("hi")',
      executionCount: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: ['hi\n'] }]
    },
    {
      cellType: 'code',
      source: 'df.shapee',
      executionCount: 2,
      outputs: [
        {
          output_type: 'error',
          ename: 'AttributeError',
          evalue: "'DataFrame' object has no attribute 'shapee'",
          traceback: ['\u001b[0;31mAttributeError\u001b[0m: boom']
        }
      ]
    },
    { cellType: 'code', source: 'later()', executionCount: null, outputs: [] }
  ];

  it('takes code cells up to the active one with outputs and errors', () => {
    const { cells: records, lastError } = cellsFromDocument(cells, 2);
    expect(records.map(r => r.source)).toEqual(['print("hi")', 'df.shapee']);
    expect(records[0].output).toBe('hi');
    expect(records[1].error).toBe("AttributeError: 'DataFrame' object has no attribute 'shapee'");
    expect(lastError?.source).toBe('df.shapee');
    expect(lastError?.cell_number).toBe(2);
    expect(lastError?.traceback).toBe('AttributeError: boom');
  });

  it('formats a cell output as text with the error traceback', () => {
    expect(outputText(cells[2].outputs)).toBe('AttributeError: boom');
  });
});

describe('kernel context', () => {
  it('builds a Python call with the request as a safe string literal', () => {
    const code = kernelContextCode('say "hi"\nand é');
    expect(code).toBe(
      '__import__("jupyter_localai.kernel.context", fromlist=["_"]).context_json(get_ipython(), "say \\"hi\\"\\nand \\u00e9")'
    );
  });

  it('reads the last printed line as the context', () => {
    const out = 'noise\n' + JSON.stringify({ variables: context.variables, imports: ['numpy'] }) + '\n';
    const parsed = parseKernelContext(out);
    expect(parsed.variables.map(v => v.name)).toEqual(['df', 'api_key']);
    expect(parsed.cells).toEqual([]);
    expect(parsed.last_error).toBeNull();
    expect(() => parseKernelContext('\n')).toThrow(/no context/);
  });

  it('merges: cells from the document, variables from the kernel', () => {
    const merged = mergeContexts({ cells: context.cells, lastError: null }, context);
    expect(merged.cells).toBe(context.cells);
    expect(merged.variables).toBe(context.variables);
    expect(merged.last_error).toBe(context.last_error);
    const alone = mergeContexts({ cells: [], lastError: context.last_error }, null);
    expect(alone.variables).toEqual([]);
    expect(alone.last_error).toBe(context.last_error);
  });
});
