-- Sightline schema, version 2 (additive): activation shards referenced by a corpus, and who owns a job.

-- A shard of activations is REFERENCED, never copied (path, size, sha256, as for SAE weights).
-- kind 'dense': [rows, d_in] floats at data_offset; layout_json holds the sidecar's row segments.
-- kind 'delphi': one split file of a delphi sparse cache; layout_json holds the latent range.
CREATE TABLE activation_shards (
  id          INTEGER PRIMARY KEY,
  corpus_id   INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
  ordinal     INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('dense', 'delphi')),
  container   TEXT NOT NULL,
  path        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  dtype       TEXT NOT NULL,
  shape_json  TEXT NOT NULL,
  data_offset INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  layout_json TEXT NOT NULL DEFAULT '{}',
  UNIQUE (corpus_id, ordinal)
);

-- The process that runs a job, so a later run can tell a crashed job (owner gone) from a live one.
ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
