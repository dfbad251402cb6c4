-- Sightline schema, version 1. Shipped migrations are never edited; later ones are additive.
-- Times are integer milliseconds since the Unix epoch (lease comparisons stay numeric).

CREATE TABLE project_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Content-addressed media: the file lives at media/<sha256[0:2]>/<sha256>.<ext>.
CREATE TABLE media (
  sha256        TEXT PRIMARY KEY,
  mime          TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  width         INTEGER,
  height        INTEGER,
  original_name TEXT
);

-- Large model files are referenced (path, size, sha256), never copied.
CREATE TABLE models (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  path        TEXT,
  size        INTEGER,
  sha256      TEXT,
  config_json TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);

CREATE TABLE saes (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  model_id     INTEGER REFERENCES models(id),
  format       TEXT NOT NULL,
  architecture TEXT NOT NULL,
  layer        INTEGER,
  hook_point   TEXT,
  d_in         INTEGER NOT NULL,
  d_sae        INTEGER NOT NULL,
  path         TEXT,
  size         INTEGER,
  sha256       TEXT,
  config_json  TEXT NOT NULL DEFAULT '{}',
  created_at   INTEGER NOT NULL
);

CREATE TABLE corpora (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  source_json TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);

-- A document is a text, an image, or an image with text (caption / prompt).
-- tokens_json: JSON array of token strings; media_sha256: the image, if any.
CREATE TABLE documents (
  id           INTEGER PRIMARY KEY,
  corpus_id    INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
  external_id  TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('text', 'image', 'multimodal')),
  text         TEXT,
  tokens_json  TEXT,
  media_sha256 TEXT REFERENCES media(sha256),
  meta_json    TEXT NOT NULL DEFAULT '{}',
  UNIQUE (corpus_id, external_id)
);

CREATE TABLE features (
  id             INTEGER PRIMARY KEY,
  sae_id         INTEGER NOT NULL REFERENCES saes(id) ON DELETE CASCADE,
  feature_index  INTEGER NOT NULL,
  fire_count     INTEGER NOT NULL DEFAULT 0,
  token_count    INTEGER NOT NULL DEFAULT 0,
  density        REAL NOT NULL DEFAULT 0,
  max_activation REAL NOT NULL DEFAULT 0,
  image_count    INTEGER NOT NULL DEFAULT 0,
  text_count     INTEGER NOT NULL DEFAULT 0,
  modality       TEXT NOT NULL DEFAULT 'dead' CHECK (modality IN ('image', 'text', 'shared', 'dead')),
  histogram_json TEXT NOT NULL DEFAULT '[]',
  stats_json     TEXT NOT NULL DEFAULT '{}',
  label          TEXT,
  UNIQUE (sae_id, feature_index)
);
CREATE INDEX features_by_density ON features (sae_id, density);
CREATE INDEX features_by_max ON features (sae_id, max_activation);

-- One mined example of a feature: the activations over a document's tokens and/or image patches.
CREATE TABLE examples (
  id               INTEGER PRIMARY KEY,
  feature_id       INTEGER NOT NULL REFERENCES features(id) ON DELETE CASCADE,
  document_id      INTEGER NOT NULL REFERENCES documents(id),
  bucket           TEXT NOT NULL,
  rank             INTEGER NOT NULL,
  max_activation   REAL NOT NULL,
  token_acts_json  TEXT,
  patch_acts_json  TEXT,
  patch_rows       INTEGER,
  patch_cols       INTEGER
);
CREATE INDEX examples_by_feature ON examples (feature_id, bucket, rank);

CREATE TABLE steering_specs (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  method            TEXT NOT NULL,
  layer             INTEGER NOT NULL,
  hook_point        TEXT NOT NULL,
  positions         TEXT NOT NULL,
  vector_source     TEXT NOT NULL,
  vector_sha256     TEXT,
  coefficient       REAL NOT NULL,
  coefficient_units TEXT NOT NULL,
  decoding_json     TEXT NOT NULL DEFAULT '{}',
  seed              INTEGER NOT NULL DEFAULT 0,
  spec_json         TEXT NOT NULL DEFAULT '{}',
  created_at        INTEGER NOT NULL
);

-- A rollout: one model answer, steered or not.
CREATE TABLE generations (
  id               INTEGER PRIMARY KEY,
  steering_spec_id INTEGER REFERENCES steering_specs(id),
  prompt           TEXT NOT NULL,
  media_sha256     TEXT REFERENCES media(sha256),
  output_text      TEXT NOT NULL,
  meta_json        TEXT NOT NULL DEFAULT '{}',
  created_at       INTEGER NOT NULL
);

-- Researchers' own templates (built-ins live in code). Campaigns keep a snapshot of the template they use.
CREATE TABLE templates (
  id            TEXT NOT NULL,
  version       INTEGER NOT NULL,
  template_json TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE campaigns (
  id                   INTEGER PRIMARY KEY,
  name                 TEXT NOT NULL UNIQUE,
  template_id          TEXT NOT NULL,
  template_json        TEXT NOT NULL,
  instructions         TEXT NOT NULL DEFAULT '',
  instructions_version INTEGER NOT NULL DEFAULT 1,
  overlap              INTEGER NOT NULL CHECK (overlap >= 1),
  lease_seconds        INTEGER NOT NULL CHECK (lease_seconds >= 1),
  max_items_per_rater  INTEGER,
  order_mode           TEXT NOT NULL DEFAULT 'random' CHECK (order_mode IN ('random', 'fixed')),
  seed                 INTEGER NOT NULL,
  status               TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paused', 'closed')),
  settings_json        TEXT NOT NULL DEFAULT '{}',
  -- Ordinary items whose holders reached the overlap, kept in step with items.holders so a
  -- rater's progress is a few lookups rather than a count over every item.
  full_items           INTEGER NOT NULL DEFAULT 0,
  created_at           INTEGER NOT NULL
);

-- payload_json is what a rater may see; hidden_json (condition, k, layer, gold answer, model) never
-- leaves the researcher side.
CREATE TABLE items (
  id           INTEGER PRIMARY KEY,
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  kind         TEXT NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'gold', 'attention', 'qualification')),
  payload_json TEXT NOT NULL,
  hidden_json  TEXT NOT NULL DEFAULT '{}',
  condition    TEXT,
  -- Raters holding the item now (submitted, or leased and counted), kept in step by the rating
  -- code so picking the next item is an index seek instead of a scan over every item.
  holders      INTEGER NOT NULL DEFAULT 0,
  -- The item's place in the campaign's seeded shuffle (or its position for a fixed order).
  shuffle_rank INTEGER NOT NULL DEFAULT 0,
  UNIQUE (campaign_id, position)
);
CREATE INDEX items_pool ON items (campaign_id, kind, holders, condition, shuffle_rank);

CREATE TABLE raters (
  id          INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  pseudonym   TEXT NOT NULL,
  token       TEXT NOT NULL UNIQUE,
  seed        INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'disqualified')),
  source_json TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  UNIQUE (campaign_id, name)
);

-- A lease on one item for one rater. UNIQUE(item_id, rater_id): no rater sees an item twice.
CREATE TABLE assignments (
  id               INTEGER PRIMARY KEY,
  item_id          INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  rater_id         INTEGER NOT NULL REFERENCES raters(id) ON DELETE CASCADE,
  status           TEXT NOT NULL CHECK (status IN ('leased', 'submitted', 'skipped')),
  shown_json       TEXT NOT NULL,
  leased_at        INTEGER NOT NULL,
  lease_expires_at INTEGER NOT NULL,
  -- 1 while this assignment counts towards items.holders; an expired lease is reclaimed (0).
  counted          INTEGER NOT NULL DEFAULT 1,
  UNIQUE (item_id, rater_id)
);
CREATE INDEX assignments_expiring ON assignments (lease_expires_at) WHERE status = 'leased' AND counted = 1;
CREATE INDEX assignments_by_rater ON assignments (rater_id, status);
CREATE INDEX assignments_by_item ON assignments (item_id, status);

-- Append-only: an undo or edit is a new row that supersedes an older one.
CREATE TABLE judgements (
  id            INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  action        TEXT NOT NULL CHECK (action IN ('submit', 'undo')),
  answer_json   TEXT,
  shown_json    TEXT NOT NULL,
  active_ms     INTEGER NOT NULL DEFAULT 0,
  submitted_at  INTEGER NOT NULL,
  supersedes_id INTEGER REFERENCES judgements(id)
);
CREATE INDEX judgements_by_assignment ON judgements (assignment_id);
CREATE UNIQUE INDEX judgements_superseded_once ON judgements (supersedes_id) WHERE supersedes_id IS NOT NULL;
CREATE TRIGGER judgements_no_update BEFORE UPDATE ON judgements
BEGIN SELECT RAISE(ABORT, 'judgements are append-only: write a superseding row instead'); END;
CREATE TRIGGER judgements_no_delete BEFORE DELETE ON judgements
BEGIN SELECT RAISE(ABORT, 'judgements are append-only: write a superseding row instead'); END;

CREATE TABLE flags (
  id            INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  comment       TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
);

CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  params_json     TEXT NOT NULL DEFAULT '{}',
  progress_done   INTEGER NOT NULL DEFAULT 0,
  progress_total  INTEGER,
  checkpoint_json TEXT,
  error           TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
