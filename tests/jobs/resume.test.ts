// A mine job killed with SIGKILL after its first checkpoint resumes and gives exactly the result of
// an uninterrupted run; a cancelled job leaves the project's features untouched.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { JobRunner } from '../../src-main/jobs/runner';
import { mine } from '../../src-main/mining/mine';
import { openProject } from '../../src-main/project/project';
import { tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from '../mining/synthetic';

async function prepared(dir: string) {
  const data = writeSyntheticCorpus(path.join(dir, 'data'), { docs: 300, shards: 3 });
  const project = openProject(path.join(dir, 'p.sightline'), { create: true });
  await importSae(project, { path: data.saeDir, name: 'sae' });
  await importDenseActivations(project, data.sidecar, 'corpus');
  return project;
}

const snapshot = (project: ReturnType<typeof openProject>) => ({
  features: project.db
    .prepare(
      'SELECT feature_index, fire_count, density, max_activation, image_count, text_count, modality, histogram_json FROM features ORDER BY feature_index',
    )
    .all(),
  examples: project.db
    .prepare(
      `SELECT f.feature_index, d.external_id, e.bucket, e.rank, e.max_activation, e.token_acts_json, e.patch_acts_json
       FROM examples e JOIN features f ON f.id = e.feature_id JOIN documents d ON d.id = e.document_id ORDER BY 1, 3, 4`,
    )
    .all(),
});

describe('mine job', () => {
  it('resumes after SIGKILL from its checkpoint and matches an uninterrupted run', { timeout: 120_000 }, async () => {
    const reference = await prepared(tempDir());
    await mine(reference, { sae: 'sae', corpus: 'corpus', batch: 5 });
    const want = snapshot(reference);
    reference.close();

    const dir = tempDir();
    const project = await prepared(dir);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'cli-child.ts'),
        'mine',
        '--project',
        project.dir,
        '--sae',
        'sae',
        '--corpus',
        'corpus',
        '--batch',
        '5',
        '--checkpoint-ms',
        '0',
        '--provider',
        'cpu',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const row = project.db.prepare("SELECT state, checkpoint_json FROM jobs WHERE kind = 'mine'").get() as
        | { state: string; checkpoint_json: string | null }
        | undefined;
      if (row?.checkpoint_json || (row && row.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const killed = project.db.prepare("SELECT state, checkpoint_json FROM jobs WHERE kind = 'mine'").get() as {
      state: string;
      checkpoint_json: string | null;
    };
    expect(killed.state).toBe('running');
    expect(killed.checkpoint_json).not.toBeNull();
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);

    const summary = await mine(project, { sae: 'sae', corpus: 'corpus', batch: 64 });
    expect(summary.state).toBe('done');
    expect(summary.resumedFromTokens).toBeGreaterThan(0);
    expect(snapshot(project)).toEqual(want);
    expect(project.db.prepare("SELECT state FROM jobs WHERE kind = 'mine'").pluck().all()).toEqual(['done']);
    project.close();
  });

  it('cancel: state cancelled, earlier results kept as they were', async () => {
    const project = await prepared(tempDir());
    await mine(project, { sae: 'sae', corpus: 'corpus', top: 2 });
    const before = snapshot(project);
    const runner = new JobRunner();
    const events: string[] = [];
    const summary = await mine(project, {
      sae: 'sae',
      corpus: 'corpus',
      top: 5,
      batch: 5,
      runner,
      listener: (e) => {
        events.push(e.state);
        runner.cancel();
      },
    });
    expect(summary.state).toBe('cancelled');
    expect(events.at(-1)).toBe('cancelled');
    expect(snapshot(project)).toEqual(before);
    expect(project.db.prepare('SELECT state FROM jobs ORDER BY id').pluck().all()).toEqual(['done', 'cancelled']);
    project.close();
  });
});
