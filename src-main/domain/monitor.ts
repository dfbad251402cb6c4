import type { CampaignMonitor, RaterMonitorRow } from '../contract/types';
import { getCampaign } from '../store/campaigns';
import type { Db } from '../store/db';
import { campaignConditions, conditionCounts, flaggedItems, nextLeaseExpiry, raterCounts } from '../store/monitor';
import { liveJudgementsWithKey } from '../store/quality';
import { raterCompletion } from '../store/raters';
import { nowMs } from '../util/time';
import { qualificationState, scoreRow } from './quality';
import type { CampaignSummary } from '../contract/types';

const FAST_FRACTION = 0.3;

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Everything the researcher watches while a campaign fills, computed from the append-only tables.
 * `now` decides which leases count as expired: the project's clock, the one leases were given by.
 */
export function campaignMonitor(db: Db, campaignId: number, summary: CampaignSummary, now = nowMs()): CampaignMonitor {
  const campaign = getCampaign(db, campaignId);
  const judged = liveJudgementsWithKey(db, campaignId, ['normal', 'gold', 'attention', 'qualification']);
  const conditions = campaignConditions(db, campaignId);
  const perCondition = conditionCounts(db, campaignId);
  const overallMedian = median(judged.map((row) => row.active_ms));
  const raters: RaterMonitorRow[] = raterCounts(db, campaignId, now).map((counts) => {
    const mine = judged.filter((row) => row.rater_id === counts.id);
    const gold = mine
      .filter((row) => row.kind === 'gold')
      .map(scoreRow)
      .filter((score) => score !== null);
    const attention = mine
      .filter((row) => row.kind === 'attention')
      .map(scoreRow)
      .filter((score) => score !== null);
    const qualification = qualificationState(db, campaign, counts.id);
    const medianActiveMs = median(mine.map((row) => row.active_ms));
    const seen = Object.fromEntries(conditions.map((condition) => [condition, 0]));
    for (const row of perCondition) if (row.raterId === counts.id) seen[row.condition] = row.n;
    return {
      ...counts,
      gold: {
        answered: gold.length,
        correct: gold.filter(Boolean).length,
        accuracy: gold.length ? gold.filter(Boolean).length / gold.length : null,
      },
      attention: { answered: attention.length, failed: attention.filter((passed) => !passed).length },
      qualification: qualification.required
        ? {
            required: qualification.required,
            answered: qualification.answered,
            correct: qualification.correct,
            passed: qualification.passed,
          }
        : null,
      medianActiveMs,
      tooFast: medianActiveMs !== null && overallMedian !== null && medianActiveMs < FAST_FRACTION * overallMedian,
      conditions: seen,
      completion: raterCompletion(db, counts.id),
    };
  });
  const spreads = raters
    .filter((rater) => rater.submitted > 0)
    .map((rater) => {
      const counts = Object.values(rater.conditions);
      return counts.length ? Math.max(...counts) - Math.min(...counts) : 0;
    });
  const leases = raters.reduce(
    (total, rater) => ({ open: total.open + rater.openLeases, expired: total.expired + rater.expiredLeases }),
    { open: 0, expired: 0 },
  );
  return {
    campaign: summary,
    raters,
    flagged: flaggedItems(db, campaignId),
    leases: { ...leases, nextExpiryAt: nextLeaseExpiry(db, campaignId, now) },
    medianActiveMs: overallMedian,
    balance: { conditions, maxSpread: spreads.length ? Math.max(...spreads) : 0 },
  };
}
