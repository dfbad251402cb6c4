import path from 'node:path';
import { schemaVersion, type Db } from '../store/db';
import type { projectMethods } from '../contract/project';
import type { CorpusSummary, EngineStatus, SaeSummary } from '../contract/types';
import { jobRegistry } from '../jobs/registry';
import type { Project } from '../project/project';
import type { HandlersFor } from './handlers';

/**
 * The provider the last finished mine used, and why. A run this process started left the full
 * report in the job registry; otherwise (a CLI run, or after a restart) the mined features'
 * stats_json names the provider, and its reason when the run recorded one.
 */
export function lastEngineStatus(project: Project): EngineStatus | null {
  const job = project.db.prepare("SELECT id, params_json FROM jobs WHERE kind = 'mine' AND state = 'done' ORDER BY updated_at DESC, id DESC LIMIT 1").get() as
    | { id: number; params_json: string }
    | undefined;
  if (!job) return null;
  const params = JSON.parse(job.params_json) as { sae?: number; corpus?: number };
  const saeName = project.db.prepare('SELECT name FROM saes WHERE id = ?').pluck().get(params.sae ?? -1) as string | undefined;
  const source = `mine job ${job.id}${saeName ? ` (SAE ${saeName})` : ''}`;
  const note = jobRegistry.note(project.dir, job.id)?.engine;
  if (note) return { ...note, source };
  const stats = project.db.prepare('SELECT stats_json FROM features WHERE sae_id = ? LIMIT 1').pluck().get(params.sae ?? -1) as string | undefined;
  const recorded = stats ? (JSON.parse(stats) as { provider?: unknown; providerReason?: unknown }) : {};
  if (typeof recorded.provider !== 'string') return null;
  const reason = typeof recorded.providerReason === 'string' ? recorded.providerReason : 'the run recorded the provider but not why; mine again to see the reason';
  return { provider: recorded.provider, reason, source };
}

function corpora(db: Db): CorpusSummary[] {
  const rows = db
    .prepare(
      `SELECT c.id, c.name, (SELECT COUNT(*) FROM documents d WHERE d.corpus_id = c.id) AS documentCount,
              json_extract(c.source_json, '$.model') AS model, json_extract(c.source_json, '$.layer') AS layer
       FROM corpora c ORDER BY c.id`,
    )
    .all() as { id: number; name: string; documentCount: number; model: unknown; layer: unknown }[];
  return rows.map((row) => ({
    ...row,
    model: typeof row.model === 'string' ? row.model : null,
    layer: typeof row.layer === 'number' ? row.layer : null,
  }));
}

export const projectHandlers: HandlersFor<typeof projectMethods> = {
  'project.overview': (_input, { project }) => {
    const { db } = project;
    const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    const saes = db
      .prepare(
        `SELECT s.id, s.name, s.architecture, s.layer, s.d_in AS dIn, s.d_sae AS dSae,
                (SELECT COUNT(*) FROM features f WHERE f.sae_id = s.id) AS featureCount
         FROM saes s ORDER BY s.layer, s.id`,
      )
      .all() as SaeSummary[];
    return {
      name: path.basename(project.dir).replace(/\.sightline$/, ''),
      dir: project.dir,
      schemaVersion: schemaVersion(db),
      counts: {
        documents: count('documents'),
        features: count('features'),
        campaigns: count('campaigns'),
        raters: count('raters'),
        judgements: db.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'submit'").pluck().get() as number,
      },
      saes,
      corpora: corpora(db),
      engine: lastEngineStatus(project),
    };
  },
};
