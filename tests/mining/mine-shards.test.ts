// Issue 14: `mine --shard i/n` writes each block of documents' accumulators into a folder, and
// `sightline merge` adds them up exactly. Three merged shards must equal one unsharded mine, feature
// by feature (counts, density, maxima, modality, histograms, the top and quantile examples with their
// activation arrays), on a generated corpus + SAE (synthetic.ts), here in the same project so the
// document ids agree.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { HIST_BINS, RESERVOIR } from '../../src-main/mining/accumulators';
import { mergeMineShards } from '../../src-main/mining/merge-shards';
import { mine } from '../../src-main/mining/mine';
import { planMineShard, SHARD_RECORD } from '../../src-main/mining/mine-shard';
import { getCorpus } from '../../src-main/store/corpora';
import { runJson } from '../helpers/cli';
import { makeProject, tempDir } from '../helpers/factories';
import { CONCEPTS, writeSyntheticCorpus } from './synthetic';

type Project = ReturnType<typeof makeProject>;

async function setup() {
  const project = makeProject();
  // 24 documents in 2 files: shard 1 of 3 (documents 8..15) spans both files.
  const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'), { docs: 24, shards: 2 });
  await importSae(project, { path: corpus.saeDir, name: 'sae' });
  await importDenseActivations(project, corpus.sidecar, 'corpus');
  return { project, corpus };
}

/** Everything a feature page shows, per feature; the stats without the job id and the merge key. */
function snapshot(project: Project) {
  const features = (
    project.db
      .prepare(
        'SELECT feature_index, fire_count, token_count, density, max_activation, image_count, text_count, modality, histogram_json, stats_json FROM features ORDER BY feature_index',
      )
      .all() as Record<string, unknown>[]
  ).map(({ stats_json, ...row }) => {
    const { job: _job, mergedShards: _merged, ...stats } = JSON.parse(stats_json as string) as Record<string, unknown>;
    return { ...row, stats } as Record<string, unknown>;
  });
  const examples = project.db
    .prepare(
      `SELECT f.feature_index, e.document_id, e.bucket, e.rank, e.max_activation, e.token_acts_json, e.patch_acts_json, e.patch_rows, e.patch_cols
       FROM examples e JOIN features f ON f.id = e.feature_id ORDER BY f.feature_index, e.bucket, e.rank`,
    )
    .all() as Record<string, unknown>[];
  return { features, examples };
}

async function mineShards(project: Project, count: number, top = 3) {
  const root = tempDir();
  const dirs: string[] = [];
  for (let index = 0; index < count; index++) {
    const out = path.join(root, `mine-${index}-of-${count}`);
    const summary = await mine(project, { sae: 'sae', corpus: 'corpus', top, shard: { index, count }, out, batch: 5 });
    expect(summary).toMatchObject({ state: 'done', shard: `${index}/${count}`, shardDir: out, examples: 0 });
    dirs.push(out);
  }
  return dirs;
}

describe('mine --shard and merge', () => {
  it('three merged shards equal one unsharded mine, feature by feature', async () => {
    const { project, corpus } = await setup();
    await mine(project, { sae: 'sae', corpus: 'corpus', top: 3 });
    const unsharded = snapshot(project);

    // The slices: contiguous blocks of documents that cover the corpus once.
    const record = getCorpus(project, 'corpus');
    const plans = [0, 1, 2].map((index) => planMineShard(record, { index, count: 3 }));
    expect(plans.map((p) => [p.from, p.to])).toEqual([
      [0, 8],
      [8, 16],
      [16, 24],
    ]);
    const content = corpus.rows.filter((r) => r.kind !== 'special').length;
    expect(plans.reduce((n, p) => n + p.tokens, 0)).toBe(content);

    const dirs = await mineShards(project, 3);
    // Shards write only their folders: the project's features are still the unsharded mine's.
    expect(snapshot(project)).toEqual(unsharded);
    const merged = await mergeMineShards(project, dirs);
    expect(merged).toMatchObject({ shards: 3, tokens: content, alreadyMerged: false, state: 'done' });
    const after = snapshot(project);
    expect(after.features).toHaveLength(unsharded.features.length);
    for (let f = 0; f < unsharded.features.length; f++)
      expect(after.features[f], `feature ${f}`).toEqual(unsharded.features[f]);
    expect(after.examples).toEqual(unsharded.examples);

    // The comparison covers what it claims: quantile examples exist, histograms are non-trivial,
    // and some bin held more firings than its sample keeps, so the merged samples had to choose.
    const imageOnly = unsharded.features[CONCEPTS.imageOnly];
    const counts = (JSON.parse(imageOnly.histogram_json as string) as { counts: number[] }).counts;
    expect(counts.length).toBeGreaterThan(4);
    expect(counts.length).toBeLessThanOrEqual(HIST_BINS);
    expect(Math.max(...counts)).toBeGreaterThan(RESERVOIR);
    const buckets = new Set(unsharded.examples.map((e) => e.bucket));
    expect([...buckets].sort()).toEqual(['q1', 'q2', 'q3', 'q4', 'top']);
    expect(unsharded.features.map((f) => f.modality)).toEqual(
      expect.arrayContaining(['image', 'text', 'shared', 'dead']),
    );
  });

  it('merging the same shards twice changes nothing; refuses shards of another mine, a missing or a repeated shard, and writes nothing', async () => {
    const { project } = await setup();
    const dirs = await mineShards(project, 3);
    const first = await mergeMineShards(project, dirs);
    const ids = project.db.prepare('SELECT id FROM features ORDER BY id').pluck().all();
    const before = snapshot(project);
    const again = await mergeMineShards(project, [...dirs].reverse());
    expect(again).toMatchObject({ alreadyMerged: true, key: first.key, jobId: null, alive: first.alive });
    expect(project.db.prepare('SELECT id FROM features ORDER BY id').pluck().all()).toEqual(ids);
    expect(snapshot(project)).toEqual(before);

    // Shard 1 mined again with another --top: a different mine.
    const [other] = (await mineShards(project, 3, 5)).slice(1);
    await expect(mergeMineShards(project, [dirs[0], other, dirs[2]])).rejects.toThrow(
      /mine shards of different mines: top is 3 in .*mine-0-of-3 but 5 in .*mine-1-of-3/,
    );
    await expect(mergeMineShards(project, [dirs[0], dirs[2]])).rejects.toThrow(/mine shards 1\/3 missing/);
    await expect(mergeMineShards(project, [dirs[0], dirs[1], dirs[1]])).rejects.toThrow(
      /mine shard 1\/3 is given twice/,
    );
    // A shard's arrays changed after it was written.
    const arrays = path.join(dirs[2], 'mine-shard.bin');
    const bytes = fs.readFileSync(arrays);
    bytes[0] ^= 1;
    fs.writeFileSync(arrays, bytes);
    await expect(mergeMineShards(project, dirs)).rejects.toThrow(/mine-shard\.bin: sha256: expected/);
    expect(project.db.prepare('SELECT id FROM features ORDER BY id').pluck().all()).toEqual(ids);
    expect(snapshot(project)).toEqual(before);
  });

  it('runs from the CLI: mine --shard i/n --out DIR, then merge detects mine shards', async () => {
    const { project } = await setup();
    const root = tempDir();
    // Shard 0 into a folder of its own, shard 1 into the default one.
    const out = (i: number) =>
      i === 0 ? path.join(root, 's0') : path.join(project.dir, 'mine-shards', 'sae', '1-of-2');
    const mineArgs = ['mine', '--project', project.dir, '--sae', 'sae', '--corpus', 'corpus'];
    for (const i of [0, 1]) {
      const run = await runJson([...mineArgs, '--shard', `${i}/2`, ...(i === 0 ? ['--out', out(i)] : [])]);
      expect(run.code).toBe(0);
      expect(run.value).toMatchObject({ shard: `${i}/2`, shardDir: out(i) });
      expect(fs.existsSync(path.join(out(i), SHARD_RECORD))).toBe(true);
    }
    const bad = await runJson([...mineArgs, '--shard', '2/2']);
    expect(bad.code).toBe(2);
    expect(bad.value.error.message).toMatch(/--shard: expected i\/n with 0 <= i < n/);
    const merged = await runJson(['merge', '--into', project.dir, out(0), out(1)]);
    expect(merged.code).toBe(0);
    expect(merged.value).toMatchObject({ shards: 2, alreadyMerged: false, sae: 'sae', corpus: 'corpus' });
    const again = await runJson(['merge', '--into', project.dir, out(1), out(0)]);
    expect(again.value).toMatchObject({ alreadyMerged: true });
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBeGreaterThan(0);
  });
});
