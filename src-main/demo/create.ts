// `sightline demo`: a complete, deterministic project to explore without a model: a drawn image
// corpus, a toy SAE whose features were planted and then mined, steered rollouts in the paper's
// protocol shape, and two campaigns ready for raters. Same bytes on every run (only created_at
// columns read the clock); nothing is downloaded.
import { openProject, type Project } from '../project/project';
import { AppError } from '../util/errors';
import { nowMs } from '../util/time';
import { insertDemoCampaigns } from './campaigns';
import { CORPUS_NAME, insertCorpus } from './corpus';
import { drawDemoImages } from './images';
import { insertMinedSae, SAE_NAME } from './mining';
import { insertSteering } from './steering';

export const DEMO_VERSION = 'v1';

function demoVersionOf(project: Project): string | undefined {
  return project.db.prepare("SELECT value FROM project_meta WHERE key = 'demo'").pluck().get() as string | undefined;
}

/** Refuses to mix the demo into a project that already holds research data. */
function assertEmptyEnough(project: Project): void {
  const { db } = project;
  const campaigns = db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get() as number;
  if (campaigns > 0) {
    throw new AppError('conflict', `${project.dir}: already holds a project with ${campaigns} campaign(s); create the demo in a new folder`, {
      dir: project.dir,
    });
  }
  const clash =
    db.prepare('SELECT 1 FROM saes WHERE name = ?').get(SAE_NAME) !== undefined || db.prepare('SELECT 1 FROM corpora WHERE name = ?').get(CORPUS_NAME) !== undefined;
  if (clash) {
    throw new AppError('conflict', `${project.dir}: already has an SAE "${SAE_NAME}" or a corpus "${CORPUS_NAME}"; create the demo in a new folder`, {
      dir: project.dir,
    });
  }
}

/**
 * Creates (or completes) the demo project in `dir`. Idempotent: a folder that already holds this
 * demo is left as it is. Everything is written in one transaction, so a failure leaves no half demo;
 * media files written before the failure are content-addressed and harmless.
 */
export function createDemoProject(dir: string): void {
  const project = openProject(dir, { create: true });
  try {
    if (demoVersionOf(project) !== undefined) return;
    assertEmptyEnough(project);
    const images = drawDemoImages(); // pure computation: keep it out of the write transaction
    const createdAt = nowMs();
    project.db.transaction(() => {
      const documents = insertCorpus(project, images, createdAt);
      const features = insertMinedSae(project.db, documents, createdAt);
      const generations = insertSteering(project, createdAt);
      insertDemoCampaigns(project.db, features, generations);
      const setMeta = project.db.prepare('INSERT INTO project_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      setMeta.run('demo', DEMO_VERSION);
      setMeta.run('created_by', 'sightline demo');
    })();
  } finally {
    project.close();
  }
}
