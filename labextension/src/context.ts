/**
 * What the panel knows about the active notebook: its cells (from the document, as the
 * user sees them) and the kernel's variables (from a silent call into the kernel), and
 * which parts the user removed (chips) before sending.
 */
import {
  ICellRecord,
  IErrorInfo,
  INotebookContext,
  IVariableSummary
} from './types';

export const EMPTY_CONTEXT: INotebookContext = {
  cells: [],
  variables: [],
  last_error: null,
  imports: []
};

/** What the user removed from the context; stored as exclusions so refreshes keep them. */
export interface IContextSelection {
  cells: boolean;
  lastError: boolean;
  excludedVariables: string[];
}

export const FULL_SELECTION: IContextSelection = {
  cells: true,
  lastError: true,
  excludedVariables: []
};

export type ChipKind = 'cells' | 'error' | 'variable';

export interface IContextChip {
  kind: ChipKind;
  /** A stable key: 'cells', 'error', or 'var:<name>'. */
  key: string;
  label: string;
  title: string;
}

/** One chip per part of the context the user may remove (only parts still included). */
export function contextChips(
  context: INotebookContext,
  selection: IContextSelection
): IContextChip[] {
  const chips: IContextChip[] = [];
  if (selection.cells && context.cells.length > 0) {
    const n = context.cells.length;
    chips.push({
      kind: 'cells',
      key: 'cells',
      label: `${n} cell${n === 1 ? '' : 's'}`,
      title: 'The sources and outputs of the notebook cells up to the active one'
    });
  }
  if (selection.lastError && context.last_error) {
    chips.push({
      kind: 'error',
      key: 'error',
      label: `last error: ${context.last_error.exc_type}`,
      title: `${context.last_error.exc_type}: ${context.last_error.message}`
    });
  }
  for (const variable of context.variables) {
    if (!selection.excludedVariables.includes(variable.name)) {
      chips.push({
        kind: 'variable',
        key: `var:${variable.name}`,
        label: `${variable.name}: ${variable.type_name}`,
        title: variable.summary
      });
    }
  }
  return chips;
}

/** The selection after the user removed one chip. */
export function removeChip(
  selection: IContextSelection,
  chip: Pick<IContextChip, 'kind' | 'key'>
): IContextSelection {
  switch (chip.kind) {
    case 'cells':
      return { ...selection, cells: false };
    case 'error':
      return { ...selection, lastError: false };
    case 'variable': {
      const name = chip.key.slice('var:'.length);
      return selection.excludedVariables.includes(name)
        ? selection
        : {
            ...selection,
            excludedVariables: [...selection.excludedVariables, name]
          };
    }
  }
}

/** The context that is sent: only what the chips still show. */
export function applySelection(
  context: INotebookContext,
  selection: IContextSelection
): INotebookContext {
  return {
    cells: selection.cells ? context.cells : [],
    variables: context.variables.filter(
      v => !selection.excludedVariables.includes(v.name)
    ),
    last_error: selection.lastError ? context.last_error : null,
    imports: context.imports
  };
}

/** A cell as the document holds it (decoupled from JupyterLab's models for tests). */
export interface IDocumentCell {
  cellType: string;
  source: string;
  executionCount: number | null;
  outputs: ReadonlyArray<{ [key: string]: unknown }>;
}

const MAX_OUTPUT_CHARS = 2000;
const MAX_SOURCE_CHARS = 4000;

function truncate(text: string, limit: number): string {
  return text.length <= limit
    ? text
    : `${text.slice(0, limit)}\n... [${text.length - limit} more characters]`;
}

function joinText(value: unknown): string {
  if (Array.isArray(value)) {
    return value.join('');
  }
  return typeof value === 'string' ? value : '';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The text of one output, and its error as "Type: message" with a traceback. */
function describeOutput(output: { [key: string]: unknown }): {
  text: string;
  error?: IErrorInfo;
} {
  switch (output.output_type) {
    case 'stream':
      return { text: joinText(output.text) };
    case 'execute_result':
    case 'display_data': {
      const data = (output.data ?? {}) as { [mime: string]: unknown };
      return { text: joinText(data['text/plain']) };
    }
    case 'error': {
      const traceback = ((output.traceback as string[]) ?? [])
        .join('\n')
        .replace(ANSI, '');
      return {
        text: '',
        error: {
          source: '',
          exc_type: String(output.ename ?? 'Error'),
          message: String(output.evalue ?? ''),
          traceback: truncate(traceback, MAX_OUTPUT_CHARS),
          cell_number: null,
          suggestions: []
        }
      };
    }
    default:
      return { text: '' };
  }
}

/** One cell's outputs as text, errors as "Type: message" and their traceback. */
export function outputText(outputs: ReadonlyArray<{ [key: string]: unknown }>): string {
  const parts: string[] = [];
  for (const output of outputs) {
    const described = describeOutput(output);
    if (described.text) {
      parts.push(described.text);
    }
    if (described.error) {
      const { exc_type, message, traceback } = described.error;
      parts.push(traceback ? `${traceback}\n` : `${exc_type}: ${message}\n`);
    }
  }
  return truncate(parts.join('').trim(), MAX_OUTPUT_CHARS);
}

/**
 * Code cells up to and including the active one, as CellRecords, and the last error
 * found in their outputs (the active cell's error counts as the most recent).
 */
export function cellsFromDocument(
  cells: ReadonlyArray<IDocumentCell>,
  activeIndex: number
): { cells: ICellRecord[]; lastError: IErrorInfo | null } {
  const records: ICellRecord[] = [];
  let lastError: IErrorInfo | null = null;
  const end = activeIndex >= 0 ? Math.min(activeIndex, cells.length - 1) : cells.length - 1;
  for (let i = 0; i <= end; i++) {
    const cell = cells[i];
    if (cell.cellType !== 'code' || !cell.source.trim()) {
      continue;
    }
    const texts: string[] = [];
    let error: IErrorInfo | undefined;
    for (const output of cell.outputs) {
      const described = describeOutput(output);
      if (described.text) {
        texts.push(described.text);
      }
      if (described.error) {
        error = described.error;
      }
    }
    const number = cell.executionCount ?? i + 1;
    records.push({
      number,
      source: truncate(cell.source, MAX_SOURCE_CHARS),
      output: truncate(texts.join('').trim(), MAX_OUTPUT_CHARS),
      error: error ? `${error.exc_type}: ${error.message}` : ''
    });
    if (error) {
      lastError = { ...error, source: cell.source, cell_number: number };
    }
  }
  return { cells: records, lastError };
}

/**
 * `text` as an ASCII-only Python string literal. A JSON string literal is one once
 * non-ASCII is escaped; characters beyond the BMP need Python's `\\U` escape (a JSON
 * surrogate pair would reach Python as two lone surrogates).
 */
export function pythonStringLiteral(text: string): string {
  return JSON.stringify(text).replace(/[^\u0000-\u007e]/gu, c => {
    const code = c.codePointAt(0) as number;
    return code > 0xffff
      ? `\\U${code.toString(16).padStart(8, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Python that prints the kernel's NotebookContext as one line of JSON. */
export function kernelContextCode(requestText: string): string {
  return (
    '__import__("jupyter_localai.kernel.context", fromlist=["_"])' +
    `.context_json(get_ipython(), ${pythonStringLiteral(requestText)})`
  );
}

/** Read the kernel's printed JSON; the last non-empty line is the context. */
export function parseKernelContext(stdout: string): INotebookContext {
  const lines = stdout.split('\n').filter(line => line.trim());
  if (lines.length === 0) {
    throw new Error('The kernel printed no context.');
  }
  const data = JSON.parse(lines[lines.length - 1]);
  return {
    cells: Array.isArray(data.cells) ? data.cells : [],
    variables: Array.isArray(data.variables)
      ? (data.variables as IVariableSummary[])
      : [],
    last_error: data.last_error ?? null,
    imports: Array.isArray(data.imports) ? data.imports : []
  };
}

/**
 * Put the document's view and the kernel's view together: cells and their errors from
 * the document (what the user sees), variables and imports from the kernel; the
 * kernel's last error wins when it has one (it has suggestions and the real traceback).
 */
export function mergeContexts(
  document: { cells: ICellRecord[]; lastError: IErrorInfo | null },
  kernel: INotebookContext | null
): INotebookContext {
  return {
    cells: document.cells,
    variables: kernel?.variables ?? [],
    last_error: kernel?.last_error ?? document.lastError,
    imports: kernel?.imports ?? []
  };
}
