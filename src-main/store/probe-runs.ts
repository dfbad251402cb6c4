// The `probe_runs` table (migration probe_runs): each finished `sightline probe` run, kept whole as the
// summary probes.run returned, so the Probes page and `sightline probe list` can show it later.
import type { ProbeRunListing, ProbeSummary } from '../contract/probes';
import type { Db } from './db';

interface ProbeRunRow {
  id: number;
  summary_json: string;
}

/** Stores a finished run's summary; returns its id (the summary's runId is set from it when read). */
export function insertProbeRun(db: Db, summary: Omit<ProbeSummary, 'runId'>): number {
  return Number(
    db
      .prepare('INSERT INTO probe_runs (job_id, name, corpora_json, summary_json, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(
        summary.jobId,
        summary.name,
        JSON.stringify(summary.layers.map((layer) => layer.corpus)),
        JSON.stringify(summary),
        summary.createdAt,
      ).lastInsertRowid,
  );
}

const toSummary = (row: ProbeRunRow): ProbeSummary => ({
  ...(JSON.parse(row.summary_json) as Omit<ProbeSummary, 'runId'>),
  runId: row.id,
});

export function getProbeRun(db: Db, runId: number): ProbeSummary | undefined {
  const row = db.prepare('SELECT id, summary_json FROM probe_runs WHERE id = ?').get(runId) as ProbeRunRow | undefined;
  return row ? toSummary(row) : undefined;
}

/** Every stored run, newest first, shortened to what a list of runs shows. */
export function listProbeRuns(db: Db): ProbeRunListing[] {
  const rows = db
    .prepare('SELECT id, summary_json FROM probe_runs ORDER BY created_at DESC, id DESC')
    .all() as ProbeRunRow[];
  return rows.map((row) => {
    const run = toSummary(row);
    return {
      runId: row.id,
      jobId: run.jobId,
      name: run.name,
      createdAt: run.createdAt,
      corpora: run.layers.map((layer) => layer.corpus),
      labels: run.labels,
      classes: [...new Set(run.layers.flatMap((layer) => layer.classes.map((c) => c.name)))],
      layers: run.layers.map((layer) => ({
        corpus: layer.corpus,
        layer: layer.layer,
        validationAccuracy: layer.logistic.validationAccuracy,
        chance: layer.logistic.chance,
      })),
      vectors: run.vectors.length,
    };
  });
}
