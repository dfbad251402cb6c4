import path from 'node:path';
import { schemaVersion, type Db } from '../store/db';
import type { projectMethods } from '../contract/project';
import type { CorpusSummary, EngineStatus } from '../contract/types';
import { jobRegistry } from '../jobs/registry';
import type { Project } from '../project/project';
import { listCorpusSummaries } from '../store/corpora';
import { miningStatsOfSae } from '../store/features';
import { lastFinishedMineJob } from '../store/jobs';
import { projectCounts } from '../store/project-meta';
import { listSaeSummaries, saeNameById } from '../store/saes';
import type { HandlersFor } from './handlers';

/**
 * The provider the last finished mine used, and why. A run this process started left the full
 * report in the job registry; otherwise (a CLI run, or after a restart) the mined features'
 * stats_json names the provider, and its reason when the run recorded one.
 */
export function lastEngineStatus(project: Project): EngineStatus | null {
  const job = lastFinishedMineJob(project.db);
  if (!job) return null;
  const params = JSON.parse(job.params_json) as { sae?: number; corpus?: number };
  const saeName = saeNameById(project.db, params.sae ?? -1);
  const source = `mine job ${job.id}${saeName ? ` (SAE ${saeName})` : ''}`;
  const note = jobRegistry.note(project.dir, job.id)?.engine;
  if (note) return { ...note, source };
  const stats = miningStatsOfSae(project.db, params.sae ?? -1);
  const recorded = stats ? (JSON.parse(stats) as { provider?: unknown; providerReason?: unknown }) : {};
  if (typeof recorded.provider !== 'string') return null;
  const reason =
    typeof recorded.providerReason === 'string'
      ? recorded.providerReason
      : 'the run recorded the provider but not why; mine again to see the reason';
  return { provider: recorded.provider, reason, source };
}

function corpora(db: Db): CorpusSummary[] {
  return listCorpusSummaries(db).map((row) => ({
    ...row,
    model: typeof row.model === 'string' ? row.model : null,
    layer: typeof row.layer === 'number' ? row.layer : null,
  }));
}

export const projectHandlers: HandlersFor<typeof projectMethods> = {
  'project.overview': (_input, { project }) => {
    const { db } = project;
    const saes = listSaeSummaries(db);
    return {
      name: path.basename(project.dir).replace(/\.sightline$/, ''),
      dir: project.dir,
      schemaVersion: schemaVersion(db),
      counts: projectCounts(db),
      saes,
      corpora: corpora(db),
      engine: lastEngineStatus(project),
    };
  },
};
