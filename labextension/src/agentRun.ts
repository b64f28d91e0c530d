/**
 * The agent run's JSON (`application/vnd.jupyter-localai.agent+json`, version 1; the
 * shape is `AgentRun.to_json()` in `jupyter_localai/kernel/agent/state.py`, documented in
 * docs/architecture.md, "Agent mode"), read defensively: a bundle from another version or
 * a damaged notebook gives a readable error, never a crash. Every string in it is model
 * text or output, untrusted: the view renders it as text nodes only.
 */

export const AGENT_MIME_TYPE = 'application/vnd.jupyter-localai.agent+json';
export const AGENT_JSON_VERSION = 1;

export const RUN_STATUSES = ['running', 'done', 'too_big', 'failed', 'stopped'] as const;
export const STEP_STATUSES = ['pending', 'ran', 'skipped', 'failed', 'stopped'] as const;
export const DECISIONS = ['pending', 'accepted', 'rejected'] as const;

/**
 * A status this panel does not know (a newer kernel's) is kept as its word: the view shows
 * it, and a step with one is not offered; only the shape is refused.
 */
export type RunStatus = (typeof RUN_STATUSES)[number] | (string & {});
export type StepStatus = (typeof STEP_STATUSES)[number] | (string & {});
export type Decision = (typeof DECISIONS)[number];

export interface IAgentOutput {
  text: string;
  figures: string[];
  error: string | null;
  stopped: string | null;
  refusals: string[];
}

export interface IAgentTarget {
  execution_count: number;
  source: string;
}

export interface IAgentAttempt {
  code: string;
  /** Why it was not kept; null for the kept one. */
  problem: string | null;
}

export interface IAgentStep {
  index: number;
  title: string;
  status: StepStatus;
  decision: Decision;
  kind: 'new' | 'edit';
  code: string;
  target: IAgentTarget | null;
  diff: string | null;
  output: IAgentOutput;
  attempts: IAgentAttempt[];
  seconds: number;
}

export interface IAgentRun {
  version: number;
  goal: string;
  model: string;
  status: RunStatus;
  message: string | null;
  plan: string[];
  steps: IAgentStep[];
  copy: {
    step_timeout_s: number;
    network: boolean;
    writes_files: boolean;
    processes: boolean;
  };
  timings: { total_s: number; model_s: number; copy_s: number };
}

export class AgentRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentRunError';
  }
}

type Dict = { [key: string]: unknown };

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, where: string, optional = false): string {
  if (typeof value === 'string') {
    return value;
  }
  if (optional && (value === undefined || value === null)) {
    return '';
  }
  throw new AgentRunError(`The agent run's ${where} is not text.`);
}

function nullableText(value: unknown, where: string): string | null {
  return value === undefined || value === null ? null : text(value, where);
}

function number(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function texts(value: unknown, where: string): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new AgentRunError(`The agent run's ${where} is not a list.`);
  }
  return value.map((item, i) => text(item, `${where}[${i}]`));
}

function oneOf<T extends string>(
  value: unknown,
  allowed: ReadonlyArray<T>,
  where: string
): T {
  if (typeof value === 'string' && (allowed as ReadonlyArray<string>).includes(value)) {
    return value as T;
  }
  throw new AgentRunError(
    `The agent run's ${where} is ${JSON.stringify(value) ?? 'missing'}, not one of ${allowed.join(', ')}.`
  );
}

/** A status word: any non-empty text (see RunStatus). */
function status(value: unknown, where: string): string {
  if (typeof value === 'string' && /^[a-z_]{1,32}$/.test(value)) {
    return value;
  }
  throw new AgentRunError(
    `The agent run's ${where} is ${JSON.stringify(value) ?? 'missing'}, not a status word ` +
      `(such as ${where.endsWith('status') && where.startsWith('step') ? STEP_STATUSES.join(', ') : RUN_STATUSES.join(', ')}).`
  );
}

function readOutput(value: unknown, where: string): IAgentOutput {
  const d = isDict(value) ? value : {};
  return {
    text: text(d.text, `${where}.text`, true),
    figures: texts(d.figures, `${where}.figures`),
    error: nullableText(d.error, `${where}.error`) || null,
    stopped: nullableText(d.stopped, `${where}.stopped`) || null,
    refusals: texts(d.refusals, `${where}.refusals`)
  };
}

function readTarget(value: unknown, where: string): IAgentTarget | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (!isDict(value) || !Number.isInteger(value.execution_count)) {
    throw new AgentRunError(`The agent run's ${where} names no cell (execution_count).`);
  }
  return {
    execution_count: value.execution_count as number,
    source: text(value.source, `${where}.source`, true)
  };
}

function readStep(value: unknown, position: number): IAgentStep {
  const where = `step ${position + 1}`;
  if (!isDict(value)) {
    throw new AgentRunError(`The agent run's ${where} is not a JSON object.`);
  }
  const target = readTarget(value.target, `${where}.target`);
  const kind = value.kind === undefined ? (target ? 'edit' : 'new') : value.kind;
  const step: IAgentStep = {
    index: Number.isInteger(value.index) ? (value.index as number) : position + 1,
    title: text(value.title, `${where}.title`, true),
    status: status(value.status, `${where}.status`),
    decision:
      value.decision === undefined
        ? 'pending'
        : oneOf(value.decision, DECISIONS, `${where}.decision`),
    kind: oneOf(kind, ['new', 'edit'] as const, `${where}.kind`),
    code: text(value.code, `${where}.code`, true),
    target,
    diff: nullableText(value.diff, `${where}.diff`),
    output: readOutput(value.output, `${where}.output`),
    attempts: Array.isArray(value.attempts)
      ? value.attempts.map((a, i) => ({
          code: text(isDict(a) ? a.code : undefined, `${where}.attempts[${i}].code`, true),
          problem: nullableText(isDict(a) ? a.problem : undefined, `${where}.attempts[${i}].problem`)
        }))
      : [],
    seconds: number(value.seconds)
  };
  if (step.kind === 'edit' && step.target === null) {
    throw new AgentRunError(`The agent run's ${where} is an edit that names no cell.`);
  }
  return step;
}

/** The run in `data` (the bundle's JSON); AgentRunError says what is wrong with it. */
export function readAgentRun(data: unknown): IAgentRun {
  if (!isDict(data)) {
    throw new AgentRunError('The agent run is not a JSON object.');
  }
  if (data.version !== AGENT_JSON_VERSION) {
    throw new AgentRunError(
      `This agent run has version ${JSON.stringify(data.version) ?? 'none'}; this panel reads ` +
        `version ${AGENT_JSON_VERSION}. Update jupyter-localai in the kernel and the server alike.`
    );
  }
  if (!Array.isArray(data.steps)) {
    throw new AgentRunError("The agent run's steps are not a list.");
  }
  const copy = isDict(data.copy) ? data.copy : {};
  const timings = isDict(data.timings) ? data.timings : {};
  return {
    version: AGENT_JSON_VERSION,
    goal: text(data.goal, 'goal', true),
    model: text(data.model, 'model', true),
    status: status(data.status, 'status'),
    message: nullableText(data.message, 'message') || null,
    plan: texts(data.plan, 'plan'),
    steps: data.steps.map(readStep),
    copy: {
      step_timeout_s: number(copy.step_timeout_s),
      network: copy.network === true,
      writes_files: copy.writes_files === true,
      processes: copy.processes === true
    },
    timings: {
      total_s: number(timings.total_s),
      model_s: number(timings.model_s),
      copy_s: number(timings.copy_s)
    }
  };
}

/** Whether a step can be accepted: only a cell that ran in the copy is on offer. */
export function isOffered(step: IAgentStep): boolean {
  return step.status === 'ran';
}
