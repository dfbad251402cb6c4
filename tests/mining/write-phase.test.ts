// The write phase of a mine stages its results in the job's scratch file and swaps them in with one
// short transaction: raters keep writing to project.sqlite while the examples are re-encoded, a
// cancel at any step of the phase leaves the earlier results byte-identical, and a staging file a
// crashed run left behind is never read.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { checkpointDir, jobFile } from '../../src-main/jobs/checkpoint-files';
import { JobRunner } from '../../src-main/jobs/runner';
import { mine } from '../../src-main/mining/mine';
import { openProject, type Project } from '../../src-main/project/project';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { getFeature } from '../../src-main/store/features';
import { makeConceptCampaign, makeProject, makeRater, tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from './synthetic';

async function setup(): Promise<Project> {
  const project = makeProject();
  const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'));
  await importSae(project, { path: corpus.saeDir, name: 'sae' });
  await importDenseActivations(project, corpus.sidecar, 'corpus');
  return project;
}

/** Every stored column of every features and examples row. */
const results = (project: Project) => ({
  features: project.db.prepare('SELECT * FROM features ORDER BY id').all(),
  examples: project.db.prepare('SELECT * FROM examples ORDER BY id').all(),
});

const stagingFiles = (project: Project) =>
  fs.existsSync(checkpointDir(project.dir))
    ? fs.readdirSync(checkpointDir(project.dir)).filter((name) => name.includes('staging'))
    : [];

describe('mine write phase', () => {
  it('lets a rater submit on another connection (busy_timeout 0) while examples are re-encoded', async () => {
    const project = await setup();
    const campaignId = makeConceptCampaign(project, { items: 6, overlap: 1 });
    const rater = makeRater(project, campaignId, 'rater-1');
    // A second connection, as the LAN server has, that fails at once if the lock is taken.
    const server = openProject(project.dir);
    server.db.pragma('busy_timeout = 0');
    const submitted: { examplesStaged: number; beforeSwap: boolean }[] = [];
    try {
      const summary = await mine(project, {
        sae: 'sae',
        corpus: 'corpus',
        top: 3,
        onWriteStep: (step) => {
          const [item] = nextItems(server.db, rater, 1).items;
          const question = item.questions[0];
          if (!('options' in question)) throw new Error('concept-choice: expected a multiple-choice question');
          submitJudgement(server.db, rater, {
            assignmentId: item.assignmentId,
            answer: { [question.id]: question.options[0].value },
            activeMs: 50,
          });
          submitted.push(step);
        },
      });
      expect(summary.state).toBe('done');
      // Once while the first group of example documents was on the engine, once before the swap.
      expect(submitted[0]).toEqual({ examplesStaged: 0, beforeSwap: false });
      expect(submitted.at(-1)).toEqual({ examplesStaged: summary.examples, beforeSwap: true });
      expect(summary.examples).toBeGreaterThan(0);
      expect(project.db.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'submit'").pluck().get()).toBe(
        submitted.length,
      );
      expect(project.db.prepare('SELECT COUNT(*) FROM examples').pluck().get()).toBe(summary.examples);
      expect(summary.phases.lockSeconds).toBeGreaterThanOrEqual(0);
      expect(summary.phases.lockSeconds).toBeLessThanOrEqual(summary.phases.writeSeconds);
      expect(stagingFiles(project)).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('leaves the earlier results byte-identical and no staging file when cancelled at any step of the phase', async () => {
    const project = await setup();
    await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
    const before = results(project);
    expect(before.examples.length).toBeGreaterThan(0);
    for (const cancelAt of [false, true]) {
      const runner = new JobRunner();
      let staged: string[] = [];
      const summary = await mine(project, {
        sae: 'sae',
        corpus: 'corpus',
        top: 5,
        scheme: 'equal-width',
        runner,
        onWriteStep: (step) => {
          if (step.beforeSwap !== cancelAt) return;
          staged = stagingFiles(project);
          runner.cancel();
        },
      });
      expect(summary.state).toBe('cancelled');
      expect(staged).toHaveLength(1);
      expect(stagingFiles(project)).toEqual([]);
      expect(results(project)).toEqual(before);
    }
  });

  it('ignores a staging file left by a crashed run of the same job, and records why the provider was chosen', async () => {
    const reference = await setup();
    const want = await mine(reference, { sae: 'sae', corpus: 'corpus', top: 3 });

    const project = await setup();
    // A resumed job keeps its id, so its stale stage sits where the new run stages.
    const nextJob = project.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 FROM jobs').pluck().get() as number;
    const stale = jobFile(project.dir, nextJob, 'staging.sqlite');
    fs.mkdirSync(path.dirname(stale), { recursive: true });
    const crashed = new Database(stale);
    crashed.exec(
      'CREATE TABLE features (feature_index INTEGER PRIMARY KEY, junk); CREATE TABLE examples (id INTEGER PRIMARY KEY, feature_index, junk); INSERT INTO examples VALUES (1, 0, 1)',
    );
    crashed.close();
    fs.writeFileSync(`${stale}-journal`, 'half a journal');

    const summary = await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
    expect(summary.jobId).toBe(nextJob);
    expect(results(project)).toEqual(results(reference));
    expect(summary.examples).toBe(want.examples);
    expect(fs.readdirSync(checkpointDir(project.dir))).toEqual([]);

    const id = project.db.prepare('SELECT id FROM features WHERE feature_index = 0').pluck().get() as number;
    expect(summary.providerReason).not.toBe('');
    expect(getFeature(project.db, id).sampling).toMatchObject({
      provider: summary.provider,
      providerReason: summary.providerReason,
    });
  });
});
