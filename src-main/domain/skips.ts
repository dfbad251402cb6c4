// How many items a rater may skip (issue 11). A Prolific completion code pays for the work, and
// "nothing left to answer" is what earns it, so unbounded skips let a participant answer one item,
// skip the rest and be paid. Bounding skips makes "nothing left" mean "every item answered but at
// most N". The bound is the campaign setting maxSkipsPerRater (null: unlimited).
import { countRaterSkipped } from '../store/assignments';
import type { CampaignRecord } from '../store/campaigns';
import type { Db } from '../store/db';
import { AppError } from '../util/errors';

/** Skips allowed on a Prolific campaign unless the researcher says otherwise: a confusing item or two. */
export const DEFAULT_PROLIFIC_MAX_SKIPS = 2;

export const defaultMaxSkips = (hasProlificCode: boolean): number | null =>
  hasProlificCode ? DEFAULT_PROLIFIC_MAX_SKIPS : null;

/**
 * The campaign's bound. Campaigns created before the setting existed have no key: a Prolific one
 * gets the default bound too, since its code was open to the one-answer run.
 */
export function maxSkipsOf(campaign: CampaignRecord): number | null {
  if (Object.hasOwn(campaign.settings, 'maxSkipsPerRater'))
    return (campaign.settings.maxSkipsPerRater as number | null) ?? null;
  const prolific = campaign.settings.prolific as { completionCode?: string } | undefined;
  return defaultMaxSkips(Boolean(prolific?.completionCode));
}

/** Skips the rater has left, or null when the campaign does not bound them. */
export function skipsLeft(db: Db, campaign: CampaignRecord, raterId: number): number | null {
  const max = maxSkipsOf(campaign);
  return max === null ? null : Math.max(0, max - countRaterSkipped(db, raterId));
}

/** Refuses a skip past the campaign's bound (the caller writes nothing then). */
export function refuseSkipPastBound(db: Db, campaign: CampaignRecord, raterId: number): void {
  if (skipsLeft(db, campaign, raterId) !== 0) return;
  const max = maxSkipsOf(campaign)!;
  const rule =
    max === 0
      ? 'allows no skips'
      : `allows ${max} skip${max === 1 ? '' : 's'} per rater and you have used ${max === 1 ? 'it' : 'them'}`;
  throw new AppError(
    'conflict',
    `campaign ${campaign.name}: ${rule}; answer this item to go on (flag it if something is wrong with it)`,
  );
}
