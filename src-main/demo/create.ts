// `sightline demo`: a complete, deterministic project to explore without a model. A drawn image
// corpus whose concepts (colours, shapes, textures, positions, words) are planted as directions in
// synthetic activations of four layers; per layer an SAE whose decoder holds those directions; both
// imported and mined by the real pipeline (issue 3); then the paper's study on a tiny hand-set
// LLaVA-NeXT and its pictograms through import-model, capture, probe and sweep (issues 13 and 14), and
// two campaigns ready for raters. Same bytes, the same mined statistics and the same rollouts on every run
// (only created_at columns read the clock); nothing is downloaded.
import fs from 'node:fs';
import path from 'node:path';
import { openProject, type Project } from '../project/project';
import { countCampaigns } from '../store/campaigns';
import { corpusExists } from '../store/corpora';
import { deleteRowsAbove, getProjectMeta, highestRowId, setProjectMeta } from '../store/project-meta';
import { saeExists } from '../store/saes';
import { AppError } from '../util/errors';
import { nowMs } from '../util/time';
import { documentMatches } from './activations';
import { insertDemoCampaigns } from './campaigns';
import { buildDocuments } from './corpus';
import { DATA_DIR, writeDemoData } from './files';
import { drawDemoImages } from './images';
import { corpusNameOf, DEMO_LAYERS, planLayer, saeNameOf } from './layers';
import { importAndMine, labelMinedFeatures } from './mining';
import { CAPTURE_LAYERS, pictureCorpusOf, studyTinyModel } from './steering';
import { writeDemoPictures, writeTinyModel } from './tiny-model';

export const DEMO_VERSION = 'v4';

function demoVersionOf(project: Project): string | undefined {
  return getProjectMeta(project.db, 'demo');
}

/** Refuses to mix the demo into a project that already holds research data. */
function assertEmptyEnough(project: Project): void {
  const { db } = project;
  const campaigns = countCampaigns(db);
  if (campaigns > 0) {
    throw new AppError(
      'conflict',
      `${project.dir}: already holds a project with ${campaigns} campaign(s); create the demo in a new folder`,
      {
        dir: project.dir,
      },
    );
  }
  for (const layer of CAPTURE_LAYERS) {
    if (corpusExists(db, pictureCorpusOf(layer)))
      throw new AppError(
        'conflict',
        `${project.dir}: already has a corpus "${pictureCorpusOf(layer)}"; create the demo in a new folder`,
        { dir: project.dir },
      );
  }
  for (const layer of DEMO_LAYERS) {
    const clash = saeExists(db, saeNameOf(layer)) || corpusExists(db, corpusNameOf(layer));
    if (clash) {
      throw new AppError(
        'conflict',
        `${project.dir}: already has an SAE "${saeNameOf(layer)}" or a corpus "${corpusNameOf(layer)}"; create the demo in a new folder`,
        {
          dir: project.dir,
        },
      );
    }
  }
}

/** Tables the import, mine and sweep steps write, children first (the order rows can be deleted in). */
const PIPELINE_TABLES = [
  'probe_runs',
  'generations',
  'steering_specs',
  'vectors',
  'examples',
  'features',
  'activation_shards',
  'documents',
  'corpora',
  'saes',
  'models',
  'jobs',
] as const;

interface Marks {
  /** the largest rowid of each table before the demo wrote to it */
  rows: Record<(typeof PIPELINE_TABLES)[number] | 'media', number>;
  /** the files under media/ and activations/ (capture's shards) before */
  files: Set<string>;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function mark(project: Project): Marks {
  const rows = Object.fromEntries(
    [...PIPELINE_TABLES, 'media' as const].map((table) => [table, highestRowId(project.db, table)]),
  ) as Marks['rows'];
  return { rows, files: new Set(pipelineFiles(project)) };
}

/** Files the pipeline writes outside the database: media, and the shards `capture` writes. */
function pipelineFiles(project: Project): string[] {
  return [...filesUnder(project.media.dir), ...filesUnder(path.join(project.dir, 'activations'))];
}

/**
 * Import, mine and sweep commit their own transactions (mining holds BEGIN IMMEDIATE while it writes), so
 * the demo cannot wrap them in one. When a later step fails, this removes every row they added
 * (everything above the marks taken before) and the media files that were not there before.
 */
function undoPipeline(project: Project, marks: Marks): void {
  const { db } = project;
  db.transaction(() => {
    for (const table of PIPELINE_TABLES) deleteRowsAbove(db, table, marks.rows[table]);
    deleteRowsAbove(db, 'media', marks.rows.media);
  })();
  for (const file of pipelineFiles(project)) if (!marks.files.has(file)) fs.rmSync(file, { force: true });
}

/**
 * Creates (or completes) the demo project in `dir`. Idempotent: a folder that already holds this
 * demo is left as it is. All or nothing: if any step fails, the rows of the earlier steps are
 * removed again and the error is rethrown.
 */
export async function createDemoProject(dir: string, options: { info?: (line: string) => void } = {}): Promise<void> {
  const project = openProject(dir, { create: true });
  try {
    if (demoVersionOf(project) !== undefined) return;
    assertEmptyEnough(project);
    // Pure computation and files first: nothing in the database yet.
    const documents = buildDocuments(drawDemoImages());
    const matches = documentMatches(documents);
    const plans = DEMO_LAYERS.map((layer) => planLayer(layer));
    const dataDir = path.join(project.dir, DATA_DIR);
    const hadDataDir = fs.existsSync(dataDir);
    const files = writeDemoData(project.dir, plans, documents, matches);
    const tiny = await writeTinyModel(dataDir);
    const pictures = writeDemoPictures(dataDir);
    const marks = mark(project);
    try {
      await importAndMine(project, files, options.info);
      const generations = await studyTinyModel(project, tiny, pictures, options.info);
      const createdAt = nowMs();
      project.db.transaction(() => {
        const layers = labelMinedFeatures(project, plans, files, createdAt);
        insertDemoCampaigns(project.db, layers, generations);
        setProjectMeta(project.db, 'demo', DEMO_VERSION);
        setProjectMeta(project.db, 'created_by', 'sightline demo');
      })();
    } catch (error) {
      undoPipeline(project, marks);
      if (!hadDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  } finally {
    project.close();
  }
}
