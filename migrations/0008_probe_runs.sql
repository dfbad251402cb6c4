-- Issue 14: every finished `sightline probe` run is kept (its decodability by layer and its vectors),
-- so the Probes page and `sightline probe list` show it after the command has ended. summary_json is the
-- run's ProbeSummary as probes.run returned it; corpora_json and created_at let the list show runs
-- without parsing every summary. A cancelled run stores nothing, as it stores no vectors. Additive.
CREATE TABLE probe_runs (
  id           INTEGER PRIMARY KEY,
  job_id       INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  name         TEXT,
  corpora_json TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
