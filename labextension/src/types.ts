/**
 * Shapes shared with the Python side (see docs/architecture.md): they mirror
 * `jupyter_localai/core/context.py` and the server's JSON, so the panel sends
 * exactly what the prompt builder reads.
 */

export interface ICellRecord {
  number: number;
  source: string;
  output: string;
  error: string;
}

export interface IErrorInfo {
  source: string;
  exc_type: string;
  message: string;
  traceback: string;
  cell_number: number | null;
  suggestions: string[];
}

export interface IVariableSummary {
  name: string;
  type_name: string;
  summary: string;
  relevance: number;
}

export interface INotebookContext {
  cells: ICellRecord[];
  variables: IVariableSummary[];
  last_error: IErrorInfo | null;
  imports: string[];
}

/** `agent` is the panel's agent run (`agentPanel.ts`), never an ask body's task. */
export type Task = 'generate' | 'explain' | 'fix' | 'chat' | 'agent';

/**
 * One fenced block of a chat or explain answer and what the server's (or kernel's) checks
 * made of it (`core/reply.py`, BlockCheck). `code` is the block as written.
 */
export interface IBlockCheck {
  index: number;
  language: string;
  code: string;
  /** False: not Python (a shell command, JSON), so not checked as Python. */
  checked: boolean;
  /** What the checks found; empty when the block passed. */
  issues: string[];
  /** The block repeats a notebook cell (marked when it fails, never retried for). */
  quoted: boolean;
  note: string;
}

export interface IReply {
  code: string;
  text: string;
  model: string;
  warnings: string[];
  timings?: { [key: string]: number };
  finish_reason?: string;
  attempts?: number;
  verified?: boolean | null;
  blocks?: IBlockCheck[];
  [key: string]: unknown;
}

/** One Server-Sent Event of `POST /api/localai/ask`, after JSON decoding. */
export type AskEvent =
  | { type: 'start'; request_id: string }
  | { type: 'token'; text: string }
  | { type: 'attempt'; attempt: number; reason: string }
  | { type: 'done'; reply: IReply }
  | { type: 'error'; message: string; error?: string; status?: number };

export interface IStatus {
  state: 'idle' | 'loading' | 'ready' | 'failed' | string;
  model?: string | null;
  n_ctx?: number | null;
  requests_served?: number;
  queue_length?: number;
  restarts?: number;
  last_error?: string | null;
  rss_bytes?: number | null;
  engine?: string | null;
}

export interface IModelInfo {
  name: string;
  path?: string | null;
  available?: boolean;
  size_bytes?: number | null;
  description?: string;
  /** registry, or where it was found: hf, lmstudio, ollama, models_dir. */
  source?: string;
  /** The fast GGUF header check; false: listed but not loadable. */
  header_ok?: boolean | null;
}

export interface IModelList {
  current: string | null;
  models: IModelInfo[];
}

export interface IHistoryTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface IAskBody {
  task: Task;
  prompt: string;
  context: INotebookContext;
  history: IHistoryTurn[];
  /** explain / fix: the cell's source and its output or error. */
  target_source?: string;
  target_output?: string;
  max_tokens?: number;
  temperature?: number;
  session_id?: string;
  /** Chosen by the panel, so Stop can cancel before the first token arrives. */
  request_id?: string;
}

/** The magics' answer bundle, `application/vnd.jupyter-localai.reply+json`. */
export interface IMagicReply {
  task: string;
  code: string;
  text: string;
  model: string;
  warnings: string[];
  verified: boolean | null;
  blocks: IBlockCheck[];
}

export type MessageState = 'streaming' | 'done' | 'error' | 'stopped';

export interface IChatMessage {
  id: string;
  role: 'user' | 'assistant';
  /** Markdown as shown; for the assistant it grows while tokens stream in. */
  content: string;
  task?: Task;
  state: MessageState;
  model?: string;
  warnings?: string[];
  /** A readable reason when state is 'error' or 'stopped'. */
  note?: string;
  seconds?: number;
  /** The ask ran in the kernel, each candidate in a copy of it (a verified fix). */
  verify?: boolean;
  /** The reply's verdict: true, a candidate ran in the copy; false, none ran. */
  verified?: boolean;
  /** chat / explain: each code block's checks, found by its code (`blockChecks.ts`). */
  blocks?: IBlockCheck[];
}
