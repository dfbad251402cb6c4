// Formatting for the researcher monitor, pure so it is unit-tested (tests/renderer).
import type { RaterMonitorRow } from '../../../../src-main/contract';

/** "1.8 s", "42 s", "3 min 5 s", or "–" when there is no time yet. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** When the next lease runs out, relative to now: "in 4 min 10 s", "expired", or "–". */
export function expiryText(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return '–';
  const left = expiresAt - now;
  return left <= 0 ? 'now' : `in ${formatDuration(left)}`;
}

export function goldText(gold: RaterMonitorRow['gold']): string {
  if (gold.answered === 0 || gold.accuracy === null) return '–';
  return `${Math.round(gold.accuracy * 100)}% (${gold.correct}/${gold.answered})`;
}

export function attentionText(attention: RaterMonitorRow['attention']): string {
  return attention.answered === 0 ? '–' : `${attention.failed} of ${attention.answered} failed`;
}

export function qualificationText(qualification: RaterMonitorRow['qualification']): string {
  if (!qualification) return '–';
  const counts = `${qualification.correct}/${qualification.answered} of ${qualification.required}`;
  if (qualification.passed === true) return `passed (${counts})`;
  if (qualification.passed === false) return `failed (${counts})`;
  return `in progress (${counts})`;
}

/** Which Prolific code the rater was first given, and when (the server records the first showing). */
export function completionText(completion: RaterMonitorRow['completion']): string {
  if (!completion) return '–';
  const when = new Date(completion.shownAt).toISOString().slice(0, 16).replace('T', ' ');
  return `${completion.outcome === 'completed' ? 'completion code' : 'screen-out'}, ${when} UTC`;
}

/** Per-condition counts in the campaign's condition order: "k=0 3 · k=5 2". */
export function conditionCells(
  conditions: readonly string[],
  seen: Record<string, number>,
): { condition: string; count: number }[] {
  return conditions.map((condition) => ({ condition, count: seen[condition] ?? 0 }));
}

/** A rater's own spread across conditions (max − min), the number the balance summary maximises. */
export function raterSpread(conditions: readonly string[], seen: Record<string, number>): number {
  if (conditions.length === 0) return 0;
  const counts = conditions.map((condition) => seen[condition] ?? 0);
  return Math.max(...counts) - Math.min(...counts);
}
