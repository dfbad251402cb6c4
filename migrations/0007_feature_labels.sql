-- Issue 15: "accept label" on a feature-label campaign's results stores a rater's label as the
-- feature's label, with who accepted it and when (and from which campaign). features.label keeps
-- the current label (lists, search, detection items read it); this table keeps every acceptance,
-- append-only, so an earlier label and its author are never lost. Additive: no existing column changes.
CREATE TABLE feature_label_acceptances (
  id           INTEGER PRIMARY KEY,
  feature_id   INTEGER NOT NULL REFERENCES features(id) ON DELETE CASCADE,
  label        TEXT NOT NULL,
  accepted_by  TEXT NOT NULL,
  accepted_at  INTEGER NOT NULL,
  campaign_id  INTEGER REFERENCES campaigns(id) ON DELETE SET NULL
);
CREATE INDEX feature_label_acceptances_by_feature ON feature_label_acceptances (feature_id, id);
