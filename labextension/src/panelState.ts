/**
 * The panel's choices kept with the JupyterLab workspace (IStateDB): the task picker and
 * the Verify box. A workspace is per user and per server, so two users never share them.
 */
import { Task } from './types';

export const PANEL_STATE_KEY = 'jupyter-localai:panel';

export interface IPanelChoices {
  task: Task;
  verify: boolean;
}

const TASKS: ReadonlyArray<Task> = ['chat', 'generate', 'explain', 'fix', 'agent'];

/** What a stored value says, or null for anything unreadable (a workspace is editable). */
export function readPanelChoices(value: unknown): Partial<IPanelChoices> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const v = value as { [key: string]: unknown };
  const choices: Partial<IPanelChoices> = {};
  if (typeof v.task === 'string' && (TASKS as string[]).includes(v.task)) {
    choices.task = v.task as Task;
  }
  if (typeof v.verify === 'boolean') {
    choices.verify = v.verify;
  }
  return choices;
}
