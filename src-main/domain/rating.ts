// The rater's side of a campaign: leasing items, submitting, undoing, skipping, flagging.
// Every step runs in an IMMEDIATE transaction so concurrent raters (HTTP requests, or a second
// process on the same project) never push an item past its overlap. Steps that lease or stamp take
// `now` from the caller (the API passes the project's clock), defaulting to the real time.
import type { Answer, RaterItem, RaterNext, RaterProgress, RaterWaiting } from '../contract/types';
import {
  campaignItemCount,
  countRaterRemaining,
  countRaterSubmitted,
  getAssignment,
  insertLease,
  markSkipped,
  markSubmitted,
  openLeases,
  othersHoldLeasedItems,
  pickFreeItem,
  raterAssignmentKinds,
  reclaimExpiredLeases,
  recount,
  renewLease,
  type AssignmentRecord,
  type ItemPool,
} from '../store/assignments';
import { getCampaign, getItemPayload, type CampaignRecord } from '../store/campaigns';
import type { Db } from '../store/db';
import { insertSubmission, insertUndo, lastLiveSubmission } from '../store/judgements';
import { insertFlag } from '../store/flags';
import { setRaterStatus } from '../store/quality';
import { raterCompletion, type RaterRecord } from '../store/raters';
import { AppError } from '../util/errors';
import { nowMs } from '../util/time';
import { qualificationState } from './quality';
import { refuseSkipPastBound, skipsLeft } from './skips';
import { answerProblem, payloadAsShown, showPairs, showQuestions } from './templates';
import { showsCollapsedText } from './templates/truncation';

/** After how many ordinary items a pending gold or attention item is slipped in (campaign setting qcEvery). */
const DEFAULT_QC_EVERY = 8;

const immediate = <T>(db: Db, work: () => T): T => db.transaction(work).immediate();

function toRaterItem(db: Db, campaign: CampaignRecord, assignment: AssignmentRecord): RaterItem {
  const item = getItemPayload(db, assignment.itemId);
  return {
    assignmentId: assignment.id,
    display: campaign.template.display,
    // Pair sides are swapped here, not by a flag the page applies: the response must not say which text is which.
    payload: payloadAsShown(item.payload, assignment.shown.pairs ?? [], campaign.template.display),
    questions: assignment.shown.questions,
    leaseExpiresAt: assignment.leaseExpiresAt,
  };
}

export function raterProgress(db: Db, rater: RaterRecord, campaign = getCampaign(db, rater.campaignId)): RaterProgress {
  const submitted = countRaterSubmitted(db, rater.id);
  const remaining = countRaterRemaining(db, { campaignId: campaign.id, raterId: rater.id, overlap: campaign.overlap });
  const total = submitted + remaining;
  const progress: RaterProgress = {
    submitted,
    total: campaign.maxItemsPerRater ? Math.min(total, campaign.maxItemsPerRater) : total,
  };
  const skips = skipsLeft(db, campaign, rater.id);
  if (skips !== null) progress.skipsLeft = skips;
  return progress;
}

/**
 * Which pool the rater's next item comes from: the qualification round first (and nothing more if
 * it was failed), then a gold or attention item whenever one is due, else an ordinary item.
 */
function nextPool(db: Db, campaign: CampaignRecord, rater: RaterRecord): ItemPool | null {
  const kinds = raterAssignmentKinds(db, rater.id);
  const qualification = qualificationState(db, campaign, rater.id);
  if (qualification.required > 0) {
    if ((kinds.qualification ?? 0) < qualification.required) return 'qualification';
    if (qualification.passed === null) return null; // wait for the round's last answer
    if (!qualification.passed) {
      setRaterStatus(db, rater.id, 'disqualified');
      rater.status = 'disqualified';
      return null;
    }
  }
  const every = Number(campaign.settings.qcEvery ?? DEFAULT_QC_EVERY);
  const qualityGiven = (kinds.gold ?? 0) + (kinds.attention ?? 0);
  return Math.floor((kinds.normal ?? 0) / Math.max(1, every)) > qualityGiven ? 'quality' : 'normal';
}

function pickFor(db: Db, campaign: CampaignRecord, rater: RaterRecord, itemCount: number): number | undefined {
  const pool = nextPool(db, campaign, rater);
  if (!pool) return undefined;
  const args = {
    campaignId: campaign.id,
    raterId: rater.id,
    raterSeed: rater.seed,
    overlap: campaign.overlap,
    itemCount,
    orderMode: campaign.orderMode,
  };
  // A due quality item that is not there (all given) falls back to an ordinary one.
  return (
    pickFreeItem(db, { ...args, pool }) ??
    (pool === 'quality' ? pickFreeItem(db, { ...args, pool: 'normal' }) : undefined)
  );
}

/**
 * The rater's current item and up to count-1 more (prefetch). Leases are renewed on every call.
 * No items and waiting null means the rater is done (or disqualified); otherwise waiting says why
 * there is nothing for now, so the rater page does not show the completion code too early.
 */
export function nextItems(db: Db, rater: RaterRecord, count: number, now = nowMs()): RaterNext {
  return immediate(db, () => {
    const campaign = getCampaign(db, rater.campaignId);
    const expiresAt = now + campaign.leaseSeconds * 1000;
    if (campaign.status !== 'open') {
      // A rater with nothing left is done whatever the campaign's status: they get their completion code.
      const progress = raterProgress(db, rater, campaign);
      return { items: [], progress, waiting: progress.submitted < progress.total ? campaign.status : null };
    }
    // A rater who was given their Prolific code has finished: no more work for them.
    if (rater.status !== 'active' || raterCompletion(db, rater.id))
      return { items: [], progress: raterProgress(db, rater, campaign), waiting: null };
    reclaimExpiredLeases(db, now);

    // Keep the rater's own leases, unless one expired and its item has since filled up.
    const leases = openLeases(db, rater.id).filter((lease) => {
      if (recount(db, lease, campaign.overlap)) return true;
      markSkipped(db, lease);
      return false;
    });
    const submitted = countRaterSubmitted(db, rater.id);
    const allowance = campaign.maxItemsPerRater ? Math.max(0, campaign.maxItemsPerRater - submitted) : Infinity;
    const wanted = Math.min(count, allowance);
    const held = leases.slice(0, wanted);
    const itemCount = campaignItemCount(db, campaign.id);
    while (held.length < wanted) {
      const itemId = pickFor(db, campaign, rater, itemCount);
      if (itemId === undefined) break;
      const payload = getItemPayload(db, itemId).payload;
      const shown = {
        questions: showQuestions(campaign.template, payload, rater.seed, itemId),
        pairs: showPairs(campaign.template, rater.seed, itemId),
        instructionsVersion: campaign.instructionsVersion,
        highlights: campaign.template.display.some((block) => block.type === 'feature'),
        // Long text examples are shown collapsed to a window of tokens (the rater may expand them).
        truncated: showsCollapsedText(payload),
      };
      held.push(getAssignment(db, insertLease(db, itemId, rater.id, shown, now, expiresAt))!);
    }
    for (const lease of held) {
      renewLease(db, lease.id, expiresAt);
      lease.leaseExpiresAt = expiresAt;
    }
    let waiting: RaterWaiting | null = null;
    // Nothing for now, yet the rater has allowance left and rater.status is still active (a failed
    // qualification round sets it above): items leased to others may still come free.
    if (
      held.length === 0 &&
      allowance > 0 &&
      rater.status === 'active' &&
      othersHoldLeasedItems(db, campaign.id, rater.id)
    )
      waiting = 'leased';
    return {
      items: held.map((lease) => toRaterItem(db, campaign, lease)),
      progress: raterProgress(db, rater, campaign),
      waiting,
    };
  });
}

type RaterChange = 'submit' | 'undo' | 'skip' | 'flag';

/**
 * Issue 11: a lease taken before the researcher paused or closed the campaign must not keep
 * working. Closed is read-only; paused takes no new work and no changes. A flag is only a note to
 * the researcher (it changes no answer and no lease), so a paused campaign still takes it.
 */
function refuseUnlessTakingChanges(campaign: CampaignRecord, change: RaterChange): void {
  if (campaign.status === 'closed')
    throw new AppError(
      'conflict',
      `campaign ${campaign.name}: closed by the researcher; it takes no more answers or changes (${change} refused)`,
    );
  if (campaign.status === 'paused' && change !== 'flag')
    throw new AppError(
      'conflict',
      `campaign ${campaign.name}: paused by the researcher; try again later (${change} refused)`,
    );
}

/** The rater's own leased assignment, or not_found (never reveal other raters' assignments). */
function ownLease(db: Db, rater: RaterRecord, assignmentId: number): AssignmentRecord {
  const assignment = getAssignment(db, assignmentId);
  if (!assignment || assignment.raterId !== rater.id)
    throw new AppError('not_found', `assignment ${assignmentId}: not one of your items`);
  if (assignment.status !== 'leased')
    throw new AppError('conflict', `assignment ${assignmentId}: already ${assignment.status}`);
  return assignment;
}

/**
 * Stores a judgement. When this returns, the row is committed with synchronous=FULL. With
 * `prefetch`, the rater's next items (nextItems) are leased in the same transaction and returned.
 */
export function submitJudgement(
  db: Db,
  rater: RaterRecord,
  input: { assignmentId: number; answer: Answer; activeMs: number; prefetch?: number },
  now = nowMs(),
): { judgementId: number; progress: RaterProgress; campaignId: number; next?: RaterNext } {
  return immediate(db, () => {
    const assignment = ownLease(db, rater, input.assignmentId);
    const campaign = getCampaign(db, rater.campaignId);
    refuseUnlessTakingChanges(campaign, 'submit');
    reclaimExpiredLeases(db, now);
    // A late answer is still welcome while the item has room for it.
    if (!recount(db, getAssignment(db, assignment.id)!, campaign.overlap)) {
      throw new AppError(
        'conflict',
        `assignment ${assignment.id}: the lease expired and the item went to other raters`,
      );
    }
    const problem = answerProblem(assignment.shown.questions, input.answer);
    if (problem) throw new AppError('invalid_input', problem, { field: problem.split(':')[0] });
    const judgementId = insertSubmission(db, {
      assignmentId: assignment.id,
      answer: input.answer,
      shown: assignment.shown,
      activeMs: input.activeMs,
      now,
    });
    markSubmitted(db, assignment.id);
    // The round's verdict is settled with its last answer, in the same transaction: a failed round
    // is final (undo is off in the round), whatever the rater asks next.
    if (
      getItemPayload(db, assignment.itemId).kind === 'qualification' &&
      qualificationState(db, campaign, rater.id).passed === false
    ) {
      setRaterStatus(db, rater.id, 'disqualified');
      rater.status = 'disqualified';
    }
    // nextItems' own transaction nests here as a savepoint: the judgement and the new leases commit together.
    if (input.prefetch) {
      const next = nextItems(db, rater, input.prefetch, now);
      return { judgementId, progress: next.progress, campaignId: campaign.id, next };
    }
    return { judgementId, progress: raterProgress(db, rater, campaign), campaignId: campaign.id };
  });
}

/** Undo: appends a row superseding the last live submission and leases that item back to the rater. */
export function undoLastSubmission(
  db: Db,
  rater: RaterRecord,
  now = nowMs(),
): { item: RaterItem | null; previousAnswer: Answer | null; progress: RaterProgress; campaignId: number } {
  return immediate(db, () => {
    const campaign = getCampaign(db, rater.campaignId);
    refuseUnlessTakingChanges(campaign, 'undo');
    // Issue 11: undo must not let a rater probe a verdict. Once their Prolific code was shown their
    // answers are final, and qualification answers are final as given (the round is scored at its end).
    if (raterCompletion(db, rater.id))
      throw new AppError('conflict', 'you have finished this study and were given your code; your answers are final');
    const last = lastLiveSubmission(db, rater.id);
    if (!last)
      return {
        item: null,
        previousAnswer: null,
        progress: raterProgress(db, rater, campaign),
        campaignId: campaign.id,
      };
    if (getItemPayload(db, getAssignment(db, last.assignmentId)!.itemId).kind === 'qualification') {
      throw new AppError('conflict', 'qualification answers cannot be undone: the round is scored as answered');
    }
    insertUndo(db, { supersedes: last, now });
    // The submission counted towards the item's holders; the renewed lease keeps that place.
    renewLease(db, last.assignmentId, now + campaign.leaseSeconds * 1000);
    const assignment = getAssignment(db, last.assignmentId)!;
    return {
      item: toRaterItem(db, campaign, assignment),
      // The rater's own answer (issue 15): the page selects it again, so undo is "change my answer".
      previousAnswer: last.answer,
      progress: raterProgress(db, rater, campaign),
      campaignId: campaign.id,
    };
  });
}

export function skipItem(
  db: Db,
  rater: RaterRecord,
  assignmentId: number,
): { progress: RaterProgress; campaignId: number } {
  return immediate(db, () => {
    const assignment = ownLease(db, rater, assignmentId);
    const campaign = getCampaign(db, rater.campaignId);
    refuseUnlessTakingChanges(campaign, 'skip');
    // The round is scored only once every qualification item is answered, and an assignment is
    // never handed out twice (UNIQUE(item_id, rater_id)), so a skipped qualification item would
    // leave the rater waiting for good. Screening questions are mandatory, as on Prolific.
    if (getItemPayload(db, assignment.itemId).kind === 'qualification') {
      throw new AppError(
        'conflict',
        `assignment ${assignmentId}: qualification items cannot be skipped; answer it to finish the qualification round (flag it if something is wrong with it)`,
      );
    }
    // Issue 11: bounded skips are what make "nothing left" mean "answered"; past the bound, nothing is written.
    refuseSkipPastBound(db, campaign, rater.id);
    markSkipped(db, assignment);
    return { progress: raterProgress(db, rater, campaign), campaignId: rater.campaignId };
  });
}

export function flagItem(
  db: Db,
  rater: RaterRecord,
  assignmentId: number,
  comment: string,
  now = nowMs(),
): { flagged: true; campaignId: number } {
  const assignment = getAssignment(db, assignmentId);
  if (!assignment || assignment.raterId !== rater.id)
    throw new AppError('not_found', `assignment ${assignmentId}: not one of your items`);
  refuseUnlessTakingChanges(getCampaign(db, rater.campaignId), 'flag');
  insertFlag(db, assignmentId, comment, now);
  return { flagged: true, campaignId: rater.campaignId };
}
