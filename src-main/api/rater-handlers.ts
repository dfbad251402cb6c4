import type { raterMethods } from '../contract/rater';
import { flagItem, nextItems, raterProgress, skipItem, submitJudgement, undoLastSubmission } from '../domain/rating';
import { qualificationState } from '../domain/quality';
import { completionFor } from '../domain/completion';
import { getCampaign } from '../store/campaigns';
import { announceProgress } from './announce';
import { raterOf } from './context';
import { leaseExpiries } from './lease-expiry';
import type { HandlersFor } from './handlers';

// Rater handlers build their responses from payload_json and the shown questions only, which is what
// keeps conditions off the rater's screen. hidden_json is read only to score the qualification round
// and attention checks, and only the verdict leaves, once it is final.
export const raterHandlers: HandlersFor<typeof raterMethods> = {
  'rater.session': (_input, context) => {
    const rater = raterOf(context);
    const campaign = getCampaign(context.project.db, rater.campaignId);
    const qualification = qualificationState(context.project.db, campaign, rater.id);
    return {
      raterName: rater.name,
      campaignName: campaign.name,
      instructions: campaign.instructions,
      instructionsVersion: campaign.instructionsVersion,
      templateTitle: campaign.template.title,
      progress: raterProgress(context.project.db, rater, campaign),
      status: rater.status === 'disqualified' ? 'disqualified' : 'active',
      qualification:
        qualification.required > 0
          ? { required: qualification.required, answered: qualification.answered, passed: qualification.passed }
          : null,
      // Last: a rater who just finished gets their code, and the time it was shown is recorded.
      completion: completionFor(context.project.db, campaign, rater, context.project.clock.now()),
    };
  },
  'rater.next': (input, context) => {
    const next = nextItems(context.project.db, raterOf(context), input.count, context.project.clock.now());
    // Every item of one call shares its lease expiry.
    if (next.items.length) leaseExpiries(context).armBy(next.items[0].leaseExpiresAt);
    return next;
  },
  'rater.submit': (input, context) => {
    const { judgementId, progress, campaignId, next } = submitJudgement(
      context.project.db,
      raterOf(context),
      input,
      context.project.clock.now(),
    );
    leaseExpiries(context).rearm();
    announceProgress(context, campaignId);
    return next ? { judgementId, progress, next } : { judgementId, progress };
  },
  'rater.undo': (_input, context) => {
    const { item, previousAnswer, progress, campaignId } = undoLastSubmission(
      context.project.db,
      raterOf(context),
      context.project.clock.now(),
    );
    if (item) leaseExpiries(context).armBy(item.leaseExpiresAt);
    announceProgress(context, campaignId);
    return { item, previousAnswer, progress };
  },
  'rater.skip': (input, context) => {
    const { progress, campaignId } = skipItem(context.project.db, raterOf(context), input.assignmentId);
    leaseExpiries(context).rearm();
    announceProgress(context, campaignId);
    return { progress };
  },
  'rater.flag': (input, context) => {
    const { campaignId } = flagItem(
      context.project.db,
      raterOf(context),
      input.assignmentId,
      input.comment,
      context.project.clock.now(),
    );
    // The monitor re-reads on 'campaign.progress' (its flagged count and list included).
    announceProgress(context, campaignId);
    return { flagged: true };
  },
};
