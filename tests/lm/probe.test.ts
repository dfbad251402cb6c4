// `sightline probe`: a synthetic corpus whose class means are known exactly (dyadic values, so float32
// sums are exact) gives exactly their differences as vectors, stored with corpus, layer, classes and
// sha256; the logistic probe separates separable classes (validation accuracy 1) and is at chance on
// shuffled labels; its loss and gradient equal a plain float64 reference written here, and its fit is
// a stationary point of that reference. Pooling takes image rows when a document has them. Then, on
// the llama fixture, capture → probe → generate steered with the probe's vector.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { fitLogistic, logisticLoss, stratifiedSplit } from '../../src-main/steer/probe-math.js';
import { poolCorpus } from '../../src-main/steer/probe-pool.js';
import { runProbe } from '../../src-main/steer/probe.js';
import { JobRunner } from '../../src-main/jobs/runner.js';
import { findVectorByName, listVectors } from '../../src-main/store/vectors.js';
import { getProbeRun, listProbeRuns } from '../../src-main/store/probe-runs.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { JobProgressEvent } from '../../src-main/contract/types.js';
import type { ProbeSummary } from '../../src-main/contract/probes.js';
import { contextFor, researcher } from '../helpers/factories.js';
import { writeSidecarCorpus } from '../helpers/sidecar-corpus.js';
import { vectorSha256 } from '../../src-main/steer/vectors.js';
import type { ShardRecord } from '../../src-main/store/corpora.js';
import { mulberry32 } from '../../src-main/util/random.js';
import { safetensorsBytes, tempDir } from '../engine/fixtures.js';
import { importModel, runJson } from '../helpers/cli.js';
import { fixtureFolder } from './hf-fixtures.js';

const D = 8;
const CLASSES = ['cat', 'dog', 'owl'];
/** μ_c: dyadic values, so every sum below is exact in float32. */
const MEANS = CLASSES.map((_, c) =>
  Float32Array.from({ length: D }, (_, k) => (c + 1) * (k % 3 === c ? 4 : 0.5) - k / 8),
);
let dir: string;
const opened: Project[] = [];

function project(name: string): Project {
  const p = openProject(path.join(dir, `${name}.sightline`), { create: true });
  opened.push(p);
  return p;
}

/**
 * A corpus of `perClass` documents per class written by an independent safetensors writer: each
 * document has a BOS row (huge: must not count) and 3 text rows whose mean is μ_c + δ_i, the δ of a
 * class summing to zero, so the class mean of the pooled vectors is exactly μ_c.
 */
function syntheticCorpus(p: Project, name: string, perClass: number, noise: number): Promise<unknown> {
  const folder = path.join(dir, name);
  const rows: number[] = [];
  const documents: unknown[] = [];
  const segments: unknown[] = [];
  CLASSES.forEach((cls, c) => {
    for (let i = 0; i < perClass; i++) {
      const id = `${cls}-${i}`;
      // δ_i = ±noise·(k+1)/8 in pairs (i even +, i odd −), so they cancel over an even perClass.
      const delta = (k: number) => (i % 2 === 0 ? 1 : -1) * noise * ((k + 1 + (i >> 1)) / 8);
      rows.push(...Array(D).fill(1000));
      // Rows μ + δ + o_j with o = (−1, 0, +1)/4: their mean is μ + δ.
      for (const o of [-0.25, 0, 0.25]) for (let k = 0; k < D; k++) rows.push(MEANS[c][k] + delta(k) + o);
      documents.push({ id, tokens: ['a', 'b', 'c'], meta: { label: cls } });
      segments.push({ document: id, kind: 'special', count: 1, label: '<s>' });
      segments.push({ document: id, kind: 'text', start: 0, count: 3 });
    }
  });
  const sidecar = writeSidecarCorpus(folder, { dIn: D, layer: 4, rows, documents, segments });
  return importDenseActivations(p, sidecar, name);
}

/** The objective, written out plainly in float64: mean softmax cross-entropy + λ/2·‖W‖². */
function referenceLoss(x: number[][], y: number[], W: number[][], b: number[], l2: number): number {
  let total = 0;
  x.forEach((row, i) => {
    const z = W.map((w, c) => b[c] + w.reduce((s, v, k) => s + v * row[k], 0));
    const max = Math.max(...z);
    const logSum = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    total += logSum - z[y[i]];
  });
  return total / x.length + (l2 / 2) * W.flat().reduce((s, v) => s + v * v, 0);
}

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  for (const p of opened) p.close();
});

describe('probe maths', () => {
  it('the loss and gradient equal the plain reference, and the fit is its stationary point', () => {
    const random = mulberry32(3);
    const n = 30;
    const d = 4;
    const C = 3;
    const xs = Array.from({ length: n }, () => Array.from({ length: d }, () => random() * 2 - 1));
    const y = Array.from({ length: n }, () => Math.floor(random() * C));
    const x = Float32Array.from(xs.flat());
    const xr = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
    const problem = { x, labels: Int32Array.from(y), d, classes: C, rows: xs.map((_, i) => i), l2: 0.1 };
    const theta = Float64Array.from({ length: C * d + C }, () => random() - 0.5);
    const unpack = (t: Float64Array) => ({
      W: Array.from({ length: C }, (_, c) => Array.from(t.subarray(c * d, (c + 1) * d))),
      b: Array.from(t.subarray(C * d)),
    });
    const ref = (t: Float64Array) => {
      const { W, b } = unpack(t);
      return referenceLoss(xr, y, W, b, 0.1);
    };
    const grad = new Float64Array(theta.length);
    expect(logisticLoss(problem, theta, grad)).toBeCloseTo(ref(theta), 12);
    // Central differences of the reference.
    for (let j = 0; j < theta.length; j++) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] += 1e-6;
      down[j] -= 1e-6;
      expect(grad[j]).toBeCloseTo((ref(up) - ref(down)) / 2e-6, 6);
    }
    const fit = fitLogistic(problem);
    for (let j = 0; j < theta.length; j++) {
      const up = Float64Array.from(fit.theta);
      const down = Float64Array.from(fit.theta);
      up[j] += 1e-5;
      down[j] -= 1e-5;
      expect(Math.abs((ref(up) - ref(down)) / 2e-5)).toBeLessThan(1e-5);
    }
    expect(fit.loss).toBeCloseTo(ref(fit.theta), 12);
  });

  it('the validation split is stratified, seeded and disjoint', () => {
    const labels = Int32Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const a = stratifiedSplit(labels, 2, 0.2, 7);
    expect(stratifiedSplit(labels, 2, 0.2, 7)).toEqual(a);
    expect(stratifiedSplit(labels, 2, 0.2, 8)).not.toEqual(a);
    expect(a.validation.filter((i) => labels[i] === 1).length).toBe(2);
    expect(a.validation.filter((i) => labels[i] === 0).length).toBe(8);
    expect(new Set([...a.train, ...a.validation]).size).toBe(50);
  });

  it('pools image rows when a document has them, else its text rows; never special rows', async () => {
    const file = path.join(dir, 'pool.safetensors');
    // doc 1: special, text (1, 1), image tile 1x2 with newline (3, 5 then a newline row 99), text (7, 7)
    // doc 2: text rows 2 and 4
    const values = [99, 99, 1, 1, 3, 3, 5, 5, 99, 99, 7, 7, 2, 2, 4, 4];
    fs.writeFileSync(file, safetensorsBytes([{ name: 't', shape: [8, 2], data: Float32Array.from(values) }]));
    const header = 8 + fs.readFileSync(file).readUInt32LE(0);
    const shard: ShardRecord = {
      id: 1,
      ordinal: 0,
      kind: 'dense',
      container: 'safetensors',
      path: file,
      size: 0,
      sha256: '',
      dtype: 'F32',
      shape: [8, 2],
      dataOffset: header,
      rows: 8,
      layout: {
        segments: [
          { doc: 1, kind: 'special', count: 1 },
          { doc: 1, kind: 'text', start: 0, count: 1 },
          { doc: 1, kind: 'image', tile: 0, rows: 1, cols: 2, newline: true },
          { doc: 1, kind: 'text', start: 1, count: 1 },
          { doc: 2, kind: 'text', start: 0, count: 2 },
        ],
      },
    };
    const pooled = await poolCorpus({ id: 1, name: 'p', source: {}, shards: [shard] }, 2);
    expect(pooled.documentIds).toEqual([1, 2]);
    expect(pooled.pooled).toEqual(['image', 'text']);
    expect(Array.from(pooled.x)).toEqual([4, 4, 3, 3]);
  });
});

describe('sightline probe', () => {
  it('stores exactly the differences of the known class means, raw and unit, with their provenance', async () => {
    const p = project('means');
    await syntheticCorpus(p, 'syn', 10, 1);
    const run = await runJson(['probe', '--project', p.dir, '--corpus', 'syn', '--seed', '3']);
    expect(run.code).toBe(0);
    const [layer] = run.value.layers;
    expect(layer).toMatchObject({ corpus: 'syn', layer: 4, documents: 30, unlabelled: 0, pooled: 'text' });
    expect(layer.pairs.map((x: { vector: string }) => x.vector)).toEqual([
      'syn:cat->dog',
      'syn:cat->owl',
      'syn:dog->owl',
    ]);
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      const want = MEANS[b].map((v, k) => v - MEANS[a][k]);
      const raw = findVectorByName(p.db, `syn:${CLASSES[a]}->${CLASSES[b]}`)!;
      expect(Array.from(raw.values)).toEqual(Array.from(want));
      expect(raw.sha256).toBe(vectorSha256(want));
      expect(raw.source).toEqual({
        kind: 'probe',
        method: 'diff-of-means',
        corpus: 'syn',
        layer: 4,
        from: CLASSES[a],
        to: CLASSES[b],
        unit: false,
        documents: { from: 10, to: 10 },
        pooled: 'text',
      });
      const unit = findVectorByName(p.db, `syn:${CLASSES[a]}->${CLASSES[b]}:unit`)!;
      const norm = Math.hypot(...want);
      unit.values.forEach((v, k) => expect(v).toBeCloseTo(want[k] / norm, 6));
      expect(unit.source).toMatchObject({ unit: true });
    }
    // Means 4 apart against noise of at most ~1: separable, every held-out document right.
    expect(layer.logistic).toMatchObject({ validation: 6, train: 24, validationAccuracy: 1, trainAccuracy: 1 });
    // Run again: the same vectors are kept, nothing is stored twice.
    const again = await runJson(['probe', '--project', p.dir, '--corpus', 'syn', '--seed', '3']);
    expect(again.value.vectors.every((v: { stored: boolean }) => !v.stored)).toBe(true);
    // Both runs are kept: `probe show` gives back exactly what `probe` printed, `probe list` the newest first.
    expect(run.value.runId).toBeGreaterThan(0);
    expect(again.value.runId).toBeGreaterThan(run.value.runId);
    const shown = await runJson(['probe', 'show', '--project', p.dir, '--run', String(run.value.runId)]);
    expect(shown.value).toEqual(run.value);
    const synVector = run.value.vectors.find((v: { name: string }) => v.name === 'syn:cat->owl');
    expect(synVector).toMatchObject({ corpus: 'syn', layer: 4, from: 'cat', to: 'owl', unit: false, stored: true });
    expect(synVector.norm).toBeCloseTo(Math.hypot(...MEANS[2].map((v, k) => v - MEANS[0][k])), 5);
    const listed = await runJson(['probe', 'list', '--project', p.dir]);
    expect(listed.value.map((r: { runId: number }) => r.runId)).toEqual([again.value.runId, run.value.runId]);
    expect(listed.value[1]).toMatchObject({
      corpora: ['syn'],
      classes: CLASSES,
      vectors: 6,
      layers: [{ corpus: 'syn', layer: 4, validationAccuracy: 1, chance: layer.logistic.chance }],
    });
    const missing = await runJson(['probe', 'show', '--project', p.dir, '--run', '999']);
    expect(missing.code).toBe(1);
    expect(missing.value.error.message).toMatch(/no probe run 999/);
    // --classes picks and orders a pair.
    const pair = await runJson([
      'probe',
      '--project',
      p.dir,
      '--corpus',
      'syn',
      '--classes',
      'owl,cat',
      '--name',
      'oc',
    ]);
    expect(pair.value.layers[0].pairs).toHaveLength(1);
    expect(Array.from(findVectorByName(p.db, 'oc:owl->cat')!.values)).toEqual(
      Array.from(MEANS[0].map((v, k) => v - MEANS[2][k])),
    );
  });

  it('is a job: progress by shard, and a cancel stores nothing', async () => {
    const p = project('cancel');
    await syntheticCorpus(p, 'one', 4, 1);
    await syntheticCorpus(p, 'two', 4, 1);
    const runner = new JobRunner();
    const seen: number[] = [];
    const summary = await runProbe(p, {
      corpora: ['one', 'two'],
      runner,
      progressIntervalMs: 0,
      listener: (e) => {
        if (e.state !== 'running') return;
        seen.push(e.done);
        expect(e.total).toBe(2);
        if (e.done === 1) runner.cancel();
      },
    });
    expect(summary).toMatchObject({ state: 'cancelled', runId: null, layers: [], vectors: [] });
    expect(seen).toEqual([0, 1]);
    expect(listVectors(p.db)).toEqual([]);
    expect(listProbeRuns(p.db)).toEqual([]);
    const done = await runProbe(p, { corpora: ['one', 'two'] });
    expect(done.state).toBe('done');
    expect(done.layers.map((l) => l.corpus)).toEqual(['one', 'two']);
    expect(listVectors(p.db)).toHaveLength(2 * 2 * 3);
    expect(listProbeRuns(p.db).map((r) => r.runId)).toEqual([done.runId]);
    // --name over two corpora of one layer would give both layers' vectors one name: refused before any work.
    const clash = await runJson(['probe', '--project', p.dir, '--corpus', 'one,two', '--name', 'x']);
    expect(clash.code).toBe(2);
    expect(clash.value.error.message).toMatch(/corpora "one" and "two" would both name their vectors "x-L4:…"/);
    expect(listProbeRuns(p.db)).toHaveLength(1);
  });

  it('probes.start runs it in the background: a job id at once, job.progress events, cancel through jobs.cancel', async () => {
    const p = project('start');
    await syntheticCorpus(p, 'one', 4, 1);
    await syntheticCorpus(p, 'two', 4, 1);
    const context = contextFor(p, researcher);
    const ends: JobProgressEvent[] = [];
    let ended: (event: JobProgressEvent) => void = () => {};
    let cancelFirst = true;
    context.events.subscribe((name, payload) => {
      const event = payload as JobProgressEvent;
      if (name !== 'job.progress' || event.kind !== 'probe') return;
      // The first run is cancelled as soon as it reports: after its first shard it stops, storing nothing.
      if (event.state === 'running' && cancelFirst) {
        cancelFirst = false;
        void dispatch('jobs.cancel', { jobId: event.jobId }, context);
      }
      if (event.state !== 'running' && event.state !== 'queued') {
        ends.push(event);
        ended(event);
      }
    });
    const next = () => new Promise<JobProgressEvent>((resolve) => (ended = resolve));

    expect(await dispatch('probes.start', { corpora: ['one', 'nope'] }, context)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    let end = next();
    const cancelled = await dispatch('probes.start', { corpora: ['one', 'two'] }, context);
    expect(cancelled).toMatchObject({ ok: true, value: { jobId: expect.any(Number) } });
    expect(await end).toMatchObject({
      state: 'cancelled',
      jobId: (cancelled as { value: { jobId: number } }).value.jobId,
    });
    expect(listProbeRuns(p.db)).toEqual([]);
    expect(listVectors(p.db)).toEqual([]);

    end = next();
    const started = await dispatch('probes.start', { corpora: ['one', 'two'], seed: 4 }, context);
    const jobId = (started as { value: { jobId: number } }).value.jobId;
    expect(await end).toMatchObject({ state: 'done', jobId, done: 2, total: 2 });
    const [run] = listProbeRuns(p.db);
    expect(run).toMatchObject({ jobId, corpora: ['one', 'two'] });
    expect(await dispatch('jobs.list', { limit: 1 }, context)).toMatchObject({
      ok: true,
      value: [{ id: jobId, kind: 'probe', state: 'done', done: 2, total: 2, unit: 'shards' }],
    });
    // The same run as probes.run gives for the same settings.
    const direct = await dispatch('probes.run', { corpora: ['one', 'two'], seed: 4 }, context);
    expect((direct as { value: ProbeSummary }).value.layers).toEqual(getProbeRun(p.db, run.runId)!.layers);
  });

  it('is at chance on shuffled labels, and reads labels from a CSV', async () => {
    const p = project('shuffled');
    await syntheticCorpus(p, 'noise', 40, 0);
    // Labels unrelated to the activations: a seeded coin per document (with no noise, every document of a
    // class pools to that class's mean, so the features say nothing about the coin).
    const random = mulberry32(11);
    const lines = ['document,label'];
    for (const cls of CLASSES)
      for (let i = 0; i < 40; i++) lines.push(`${cls}-${i},${random() < 0.5 ? 'heads' : 'tails'}`);
    const csv = path.join(dir, 'coins.csv');
    fs.writeFileSync(csv, `${lines.join('\n')}\n`);
    const run = await runJson([
      'probe',
      '--project',
      p.dir,
      '--corpus',
      'noise',
      '--labels',
      csv,
      '--validation',
      '0.5',
    ]);
    expect(run.code).toBe(0);
    const { logistic, classes } = run.value.layers[0];
    expect(classes.map((c: { name: string }) => c.name)).toEqual(['heads', 'tails']);
    // The pooled vectors are the three class means only, carrying no information about the coins.
    expect(logistic.validationAccuracy).toBeGreaterThan(0.3);
    expect(logistic.validationAccuracy).toBeLessThan(0.7);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'document,label\ncat-0,\n');
    const refused = await runJson(['probe', '--project', p.dir, '--corpus', 'noise', '--labels', bad]);
    expect(refused.code).toBe(1);
    expect(refused.value.error.message).toMatch(/bad\.csv.*row 1: label/);
    const oneClass = await runJson(['probe', '--project', p.dir, '--corpus', 'noise', '--classes', 'cat,zebra']);
    expect(oneClass.value.error.message).toMatch(/no document labelled "zebra"/);
    // A class named twice would be a class of no documents: its mean, and every vector from it, NaN.
    const vectorsBefore = listVectors(p.db).length;
    const twice = await runJson(['probe', '--project', p.dir, '--corpus', 'noise', '--classes', 'cat,dog,cat']);
    expect(twice.code).toBe(2);
    expect(twice.value.error.message).toMatch(/--classes: "cat" is named twice/);
    expect(listVectors(p.db)).toHaveLength(vectorsBefore);
  });

  it('captures the llama fixture, probes each layer, and a sweep-ready vector steers generate', async () => {
    const folder = path.join(dir, 'llama.sightline');
    expect((await runJson(['init', '--project', folder])).code).toBe(0);
    await importModel(folder, fixtureFolder('llama'));
    const captions = path.join(dir, 'animals.csv');
    const rows = ['document,caption,label'];
    for (let i = 0; i < 6; i++)
      rows.push(
        `dog/d${i},A photo of a dog running ${'a'.repeat(i + 1)},dog`,
        `cat/c${i},The image shows a cat ${'b'.repeat(i + 1)},cat`,
      );
    fs.writeFileSync(captions, `${rows.join('\n')}\n`);
    const captured = await runJson([
      'capture',
      '--project',
      folder,
      '--model',
      'llama',
      '--layers',
      '1,2',
      '--captions',
      captions,
      '--corpus',
      'an',
      '--provider',
      'cpu',
    ]);
    expect(captured.code).toBe(0);
    const probe = await runJson(['probe', '--project', folder, '--corpus', 'an-L1,an-L2', '--validation', '0.34']);
    expect(probe.code).toBe(0);
    expect(probe.value.layers.map((l: { layer: number }) => l.layer)).toEqual([1, 2]);
    for (const l of probe.value.layers) {
      expect(l.pooled).toBe('text');
      expect(l.logistic.validation).toBe(4);
      expect(l.pairs[0]).toMatchObject({ from: 'cat', to: 'dog', vector: `an-L${l.layer}:cat->dog` });
    }
    // The same classes from the documents' folder names: the same vectors, already stored.
    const folders = await runJson([
      'probe',
      '--project',
      folder,
      '--corpus',
      'an-L1,an-L2',
      '--validation',
      '0.34',
      '--labels-from-folders',
    ]);
    expect(folders.value.labels).toBe('folder names');
    expect(folders.value.layers.map((l: { logistic: unknown }) => l.logistic)).toEqual(
      probe.value.layers.map((l: { logistic: unknown }) => l.logistic),
    );
    expect(folders.value.vectors.every((v: { stored: boolean }) => !v.stored)).toBe(true);
    const listed = await runJson(['vector', 'list', '--project', folder]);
    expect(listed.value.map((v: { name: string }) => v.name)).toContain('an-L2:cat->dog:unit');
    const steered = await runJson([
      'generate',
      '--project',
      folder,
      '--model',
      'llama',
      '--prompt',
      'The image shows a',
      '--vector',
      'an-L2:cat->dog:unit',
      '--layer',
      '2',
      '--k',
      '4',
      '--tokens',
      '3',
      '--greedy',
      '--json',
    ]);
    expect(steered.code).toBe(0);
    expect(steered.value.spec.vector).toMatchObject({ name: 'an-L2:cat->dog:unit' });
  });
});
