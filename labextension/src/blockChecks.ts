/**
 * The checks of an answer's code blocks, as the server (or the kernel) sent them: read
 * defensively, found again by each block's code, and put in words for the badge.
 */
import { IBlockCheck } from './types';

/** The `blocks` of a reply, keeping only well-formed entries (model text never breaks it). */
export function readBlockChecks(data: unknown): IBlockCheck[] {
  if (!Array.isArray(data)) {
    return [];
  }
  const checks: IBlockCheck[] = [];
  for (const item of data) {
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    const d = item as { [key: string]: unknown };
    if (typeof d.code !== 'string' || typeof d.checked !== 'boolean') {
      continue;
    }
    checks.push({
      index: typeof d.index === 'number' ? d.index : checks.length,
      language: typeof d.language === 'string' ? d.language : '',
      code: d.code,
      checked: d.checked,
      issues: Array.isArray(d.issues) ? d.issues.map(String) : [],
      quoted: d.quoted === true,
      note: typeof d.note === 'string' ? d.note : ''
    });
  }
  return checks;
}

/** The check of the block showing `code` (blocks are matched by their code as written). */
export function checkFor(
  checks: ReadonlyArray<IBlockCheck> | undefined,
  code: string
): IBlockCheck | undefined {
  const wanted = code.trim();
  return (checks ?? []).find(check => check.code.trim() === wanted);
}

/** Whether the block was checked as Python and failed. */
export function failedCheck(check: IBlockCheck | undefined): boolean {
  return !!check && check.checked && check.issues.length > 0;
}

/** The badge's words for a block that failed its checks. */
export function failedText(check: IBlockCheck): string {
  return `Failed the checks: ${check.issues.join(' ')}`;
}
