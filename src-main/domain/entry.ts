// Prolific-style entry: the study URL is /enter/<entryKey>?PROLIFIC_PID=...&STUDY_ID=...&SESSION_ID=...
// Entering creates the rater (or finds them again on a second visit) and hands back their token;
// when they have finished the assignment rules the rater UI shows the campaign's code (domain/completion.ts).
import { findCampaignByEntryKey } from '../store/campaigns';
import type { Db } from '../store/db';
import type { CampaignRecord } from '../store/campaigns';
import { countParticipants, findRaterByName, insertRater, raterSource, type RaterRecord } from '../store/raters';
import { AppError } from '../util/errors';

export interface EntryParams {
  prolificPid: string;
  studyId: string;
  sessionId: string;
}

const PROLIFIC_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function entryPath(entryKey: string): string {
  return `/enter/${entryKey}?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}`;
}

/** Why an entry was refused because the participant's first session differs (details.reason), for the refusal page. */
export const SESSION_MISMATCH = 'session_mismatch';

/** Why an entry was refused because the study has no places left (details.reason), for the refusal page. */
export const STUDY_FULL = 'study_full';

/**
 * Issue 11: the study link is public and participant ids can be made up, so each new id would be a
 * new rater. With the study's number of places set, new participants are refused once that many
 * have finished with the completion code, or once twice that many have entered (room for those who
 * return the study or time out on Prolific, whose places Prolific hands to others).
 */
function refuseWhenFull(db: Db, campaign: CampaignRecord): void {
  const places = (campaign.settings.prolific as { places?: number } | undefined)?.places;
  if (!places) return;
  const { entered, completed } = countParticipants(db, campaign.id);
  if (completed >= places || entered >= 2 * places) {
    throw new AppError('conflict', 'this study is full and takes no new participants; please return it on Prolific', {
      reason: STUDY_FULL,
    });
  }
}

export function enterCampaign(db: Db, entryKey: string, params: EntryParams): RaterRecord {
  for (const [field, value] of Object.entries(params)) {
    if (!PROLIFIC_ID.test(value))
      throw new AppError('invalid_input', `${field}: expected a Prolific id (letters, digits, - and _)`);
  }
  const campaign = findCampaignByEntryKey(db, entryKey);
  if (!campaign) throw new AppError('not_found', 'this study link is not valid');
  const name = `prolific:${params.prolificPid}`;
  // IMMEDIATE: the count of places taken and the new rater are one step, also against a second process.
  return db
    .transaction(() => {
      const existing = findRaterByName(db, campaign.id, name);
      if (existing) {
        if (existing.status === 'revoked')
          throw new AppError('forbidden', 'this participant was removed from the study');
        // Issue 11: a participant id is not a secret (it shows in URLs and on screen), so the same
        // PROLIFIC_PID from another study or session must not get this rater's token: it could
        // undo their answers and collect their code. The rater is bound to their first session;
        // reopening the link from that same session finds them again.
        const first = raterSource(db, existing.id);
        if (first.STUDY_ID !== params.studyId || first.SESSION_ID !== params.sessionId) {
          throw new AppError(
            'forbidden',
            'this participant already started the study from another Prolific session; continue in that session, or contact the researcher',
            {
              reason: SESSION_MISMATCH,
            },
          );
        }
        return existing;
      }
      if (campaign.status !== 'open')
        throw new AppError('conflict', 'the study is not taking new participants right now');
      refuseWhenFull(db, campaign);
      return insertRater(db, campaign.id, name, campaign.seed, {
        PROLIFIC_PID: params.prolificPid,
        STUDY_ID: params.studyId,
        SESSION_ID: params.sessionId,
      });
    })
    .immediate();
}
