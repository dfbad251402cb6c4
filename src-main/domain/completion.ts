// When a Prolific participant has finished, and with which code (issue 11). The completion code is
// what pays them, so it is handed out only once the rater has met the assignment rules: nothing
// left to answer (or their item limit reached), at least one answer, the qualification round
// passed and every attention check they were given passed. Skips are bounded (domain/skips.ts,
// 2 by default on a Prolific campaign), so "nothing left" means every item answered but those few. A rater who failed the round or an
// attention check (a skipped check was never passed) gets the screen-out code instead, where the
// campaign has one. The first code handed out is recorded with its time, and from then on it is
// the rater's verdict: their answers are final (undo is refused), so the verdict cannot be probed.
import type { RaterCompletion } from '../contract/types';
import { othersHoldLeasedItems } from '../store/assignments';
import type { CampaignRecord } from '../store/campaigns';
import type { Db } from '../store/db';
import { countRaterSkippedOfKind, liveJudgementsWithKey } from '../store/quality';
import { raterCompletion, recordCompletionShown, type CompletionOutcome, type RaterRecord } from '../store/raters';
import { nowMs } from '../util/time';
import { scoreRow } from './quality';
import { raterProgress } from './rating';

export interface ProlificSettings {
  completionCode: string;
  /** Prolific's code for participants who fail a screening or attention check; none by default. */
  screenOutCode?: string;
  entryKey?: string;
}

export function prolificOf(campaign: CampaignRecord): ProlificSettings | null {
  const prolific = campaign.settings.prolific as ProlificSettings | undefined;
  return prolific?.completionCode ? prolific : null;
}

/** Every attention check the rater was given was answered, and answered as instructed. */
function attentionPassed(db: Db, campaign: CampaignRecord, raterId: number): boolean {
  if (countRaterSkippedOfKind(db, raterId, 'attention') > 0) return false;
  return liveJudgementsWithKey(db, campaign.id, ['attention'], raterId).every((row) => scoreRow(row) !== false);
}

/** The rater's verdict if they have finished, else null (still rating, waiting, or nothing answered). */
export function finishedOutcome(db: Db, campaign: CampaignRecord, rater: RaterRecord): CompletionOutcome | null {
  if (rater.status === 'disqualified') return 'screened-out';
  if (rater.status !== 'active') return null;
  const progress = raterProgress(db, rater, campaign);
  // Nothing answered is not finished: a made-up participant on a full study gets no code.
  if (progress.submitted === 0 || progress.submitted < progress.total) return null;
  const limitReached = campaign.maxItemsPerRater !== null && progress.submitted >= campaign.maxItemsPerRater;
  // Items other raters hold may still come free (rater.next says 'leased'): not finished yet.
  if (!limitReached && othersHoldLeasedItems(db, campaign.id, rater.id)) return null;
  return attentionPassed(db, campaign, rater.id) ? 'completed' : 'screened-out';
}

const completionUrl = (code: string): string =>
  `https://app.prolific.com/submissions/complete?cc=${encodeURIComponent(code)}`;

/**
 * The code for a finished rater of a Prolific campaign, recording the first time it is handed out;
 * null before they finish and on campaigns without a study link. Runs in an IMMEDIATE transaction so
 * the check and the record are one step against concurrent submits.
 */
export function completionFor(
  db: Db,
  campaign: CampaignRecord,
  rater: RaterRecord,
  now = nowMs(),
): RaterCompletion | null {
  const prolific = prolificOf(campaign);
  if (!prolific) return null;
  const record = db
    .transaction(() => {
      const recorded = raterCompletion(db, rater.id);
      if (recorded) return recorded;
      const outcome = finishedOutcome(db, campaign, rater);
      return outcome && recordCompletionShown(db, rater.id, outcome, now);
    })
    .immediate();
  if (!record) return null;
  const code = record.outcome === 'completed' ? prolific.completionCode : (prolific.screenOutCode ?? null);
  return { outcome: record.outcome, code, url: code === null ? null : completionUrl(code) };
}
