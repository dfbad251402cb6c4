// A project whose SAE and activation shards lie inside its folder records them relative to it, so
// the whole folder can be zipped or copied elsewhere: the copy mines and shows features on its own,
// with the original deleted, and its export provenance still names absolute paths. Real SQLite
// files, the real importers and miner on generated data.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCampaign } from '../../src-main/export';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { getCorpus } from '../../src-main/store/corpora';
import { importSae } from '../../src-main/importers/sae-import';
import { getSaeByName } from '../../src-main/store/saes';
import { mine } from '../../src-main/mining/mine';
import { openProject } from '../../src-main/project/project';
import { runJson } from '../helpers/cli';
import { ratedFeatureLabelCampaign } from '../export/fixtures';
import { makeProject, tempDir } from '../helpers/factories';
import { CONCEPTS, D_SAE, writeSyntheticCorpus } from '../mining/synthetic';

describe('a project with its data inside its folder', () => {
  it('stores relative references, and a copy mines and reads features after the original is deleted', async () => {
    const original = path.join(tempDir(), 'study.sightline');
    const project = openProject(original, { create: true });
    const data = writeSyntheticCorpus(path.join(original, 'data'));
    try {
      await importSae(project, { path: data.saeDir, name: 'sae' });
      await importDenseActivations(project, data.sidecar, 'corpus');
      await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
      const sae = project.db.prepare('SELECT path, config_json FROM saes').get() as {
        path: string;
        config_json: string;
      };
      expect(sae.path).toBe('data/sae');
      expect(
        JSON.parse(sae.config_json)
          .files.map((f: { path: string }) => f.path)
          .sort(),
      ).toEqual(['data/sae/cfg.json', 'data/sae/sae_weights.safetensors']);
      expect(project.db.prepare('SELECT path FROM activation_shards ORDER BY ordinal').pluck().all()).toEqual([
        'data/acts-0.safetensors',
        'data/acts-1.safetensors',
      ]);
    } finally {
      project.close();
    }

    const copy = path.join(tempDir(), 'elsewhere', 'study.sightline');
    fs.cpSync(original, copy, { recursive: true });
    fs.rmSync(original, { recursive: true });

    const moved = openProject(copy);
    try {
      // Readers resolve against the folder the project is opened from.
      expect(getSaeByName(moved, 'sae').path).toBe(path.join(copy, 'data', 'sae'));
      expect(
        getSaeByName(moved, 'sae').config.files.every((f) => f.path.startsWith(path.join(copy, 'data', 'sae'))),
      ).toBe(true);
      expect(getCorpus(moved, 'corpus').shards.map((s) => s.path)).toEqual([
        path.join(copy, 'data', 'acts-0.safetensors'),
        path.join(copy, 'data', 'acts-1.safetensors'),
      ]);
      const summary = await mine(moved, { sae: 'sae', corpus: 'corpus', top: 3 });
      expect(summary).toMatchObject({ state: 'done', features: D_SAE });
    } finally {
      moved.close();
    }
    const feature = await runJson([
      'features',
      '--project',
      copy,
      '--sae',
      'sae',
      '--feature',
      String(CONCEPTS.shared),
    ]);
    expect(feature.code).toBe(0);
    expect(feature.value.feature.modality).toBe('shared');
    expect(
      feature.value.examples
        .filter((e: { bucket: string }) => e.bucket === 'top')
        .map((e: { document: string }) => e.document),
    ).toEqual(['doc-9', 'doc-6', 'doc-3']);
    // Nothing to relink: every reference is in place.
    const relink = await runJson(['relink', '--project', copy, '--search', copy]);
    expect(relink.value).toMatchObject({ relinked: 0, missing: 0, present: 4 });
  });

  it('keeps using absolute paths that an older project recorded for files inside its folder', async () => {
    const dir = path.join(tempDir(), 'old.sightline');
    const project = openProject(dir, { create: true });
    try {
      const data = writeSyntheticCorpus(path.join(dir, 'data'));
      await importSae(project, { path: data.saeDir, name: 'sae' });
      await importDenseActivations(project, data.sidecar, 'corpus');
      // What importers wrote before references were relative.
      const config = JSON.parse(project.db.prepare('SELECT config_json FROM saes').pluck().get() as string);
      config.files = config.files.map((f: { path: string }) => ({ ...f, path: path.join(dir, f.path) }));
      project.db.prepare('UPDATE saes SET path = ?, config_json = ?').run(data.saeDir, JSON.stringify(config));
      project.db.prepare("UPDATE activation_shards SET path = ? || '/' || path").run(dir);
      expect(getCorpus(project, 'corpus').shards[0].path).toBe(path.join(dir, 'data', 'acts-0.safetensors'));
      expect(await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 })).toMatchObject({ state: 'done' });
    } finally {
      project.close();
    }
  });
});

describe('export provenance of a project with relative references', () => {
  it('records the SAE and shard paths resolved against the project folder', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    project.db
      .prepare("UPDATE saes SET path = 'data/sae', config_json = ?")
      .run(JSON.stringify({ files: [{ path: 'data/sae/cfg.json', size: 1, sha256: 'c'.repeat(64) }] }));
    project.db.prepare("UPDATE activation_shards SET path = 'data/shard-' || ordinal || '.bin'").run();
    const result = await exportCampaign(project.db, campaignId, {
      format: 'jsonl',
      out: path.join(tempDir(), 'labels.jsonl'),
    });
    const provenance = JSON.parse(fs.readFileSync(result.provenancePath!, 'utf8'));
    const [sae] = provenance.references.saes;
    expect(sae.path).toBe(path.join(project.dir, 'data', 'sae'));
    expect(sae.config.files[0].path).toBe(path.join(project.dir, 'data', 'sae', 'cfg.json'));
    expect(provenance.references.corpora[0].shards.map((s: { path: string }) => s.path)).toEqual([
      path.join(project.dir, 'data', 'shard-0.bin'),
      path.join(project.dir, 'data', 'shard-1.bin'),
    ]);
  });
});
