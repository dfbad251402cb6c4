// Accepted feature labels (issue 15, migration feature_labels): each acceptance is a row, the newest
// per feature is the one in force, and features.label mirrors it so lists and search need no join.
import type { AcceptedFeatureLabel } from '../contract/types';
import type { Db } from './db';
import { AppError } from '../util/errors';

interface AcceptanceRow {
  feature_id: number;
  label: string;
  accepted_by: string;
  accepted_at: number;
  campaign_id: number | null;
}

const toAccepted = (row: AcceptanceRow): AcceptedFeatureLabel => ({
  featureId: row.feature_id,
  label: row.label,
  acceptedBy: row.accepted_by,
  acceptedAt: row.accepted_at,
  campaignId: row.campaign_id,
});

/** Records the acceptance and sets features.label, in one transaction. */
export function acceptFeatureLabel(
  db: Db,
  accepted: Omit<AcceptedFeatureLabel, 'featureId'> & { featureId: number },
): AcceptedFeatureLabel {
  return db.transaction(() => {
    const updated = db.prepare('UPDATE features SET label = ? WHERE id = ?').run(accepted.label, accepted.featureId);
    if (updated.changes === 0) throw new AppError('not_found', `feature ${accepted.featureId}: no such feature`);
    db.prepare(
      'INSERT INTO feature_label_acceptances (feature_id, label, accepted_by, accepted_at, campaign_id) VALUES (?, ?, ?, ?, ?)',
    ).run(accepted.featureId, accepted.label, accepted.acceptedBy, accepted.acceptedAt, accepted.campaignId);
    return accepted;
  })();
}

/** The label in force (the newest acceptance) of each of these features that has one. */
export function acceptedFeatureLabels(db: Db, featureIds: readonly number[]): Map<number, AcceptedFeatureLabel> {
  if (featureIds.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT a.feature_id, a.label, a.accepted_by, a.accepted_at, a.campaign_id FROM feature_label_acceptances a
       WHERE a.feature_id IN (SELECT value FROM json_each(?))
         AND a.id = (SELECT MAX(b.id) FROM feature_label_acceptances b WHERE b.feature_id = a.feature_id)`,
    )
    .all(JSON.stringify(featureIds)) as AcceptanceRow[];
  return new Map(rows.map((row) => [row.feature_id, toAccepted(row)]));
}
