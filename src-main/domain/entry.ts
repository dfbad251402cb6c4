// Prolific-style entry: the study URL is /enter/<entryKey>?PROLIFIC_PID=...&STUDY_ID=...&SESSION_ID=...
// Entering creates the rater (or finds them again on a second visit) and hands back their token;
// when they are done the rater UI shows the campaign's completion code.
import type { Db } from '../store/db';
import { findRaterByName, insertRater, type RaterRecord } from '../store/raters';
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

export function enterCampaign(db: Db, entryKey: string, params: EntryParams): RaterRecord {
  for (const [field, value] of Object.entries(params)) {
    if (!PROLIFIC_ID.test(value)) throw new AppError('invalid_input', `${field}: expected a Prolific id (letters, digits, - and _)`);
  }
  const campaign = db
    .prepare("SELECT id, seed, status FROM campaigns WHERE json_extract(settings_json, '$.prolific.entryKey') = ?")
    .get(entryKey) as { id: number; seed: number; status: string } | undefined;
  if (!campaign) throw new AppError('not_found', 'this study link is not valid');
  const name = `prolific:${params.prolificPid}`;
  return db.transaction(() => {
    const existing = findRaterByName(db, campaign.id, name);
    if (existing) {
      if (existing.status === 'revoked') throw new AppError('forbidden', 'this participant was removed from the study');
      return existing;
    }
    if (campaign.status !== 'open') throw new AppError('conflict', 'the study is not taking new participants right now');
    return insertRater(db, campaign.id, name, campaign.seed, { PROLIFIC_PID: params.prolificPid, STUDY_ID: params.studyId, SESSION_ID: params.sessionId });
  })();
}
