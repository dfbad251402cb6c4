// `sightline capture` on the llama transformers fixture: captions through the decoder into one corpus
// per layer, imported by the real importer. Every captured row equals the plain-TypeScript fp64
// reference pass's hidden state at that layer and position (BOS rows kept as special rows); fp16 shards
// are those values rounded; a cancelled capture resumes by chunk and ends equal to an uncancelled one;
// `sightline mine` runs on the captured corpus unchanged; --images on a text-only model is refused.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src-main/engine/client.js';
import { openSafetensors, readSafetensor } from '../../src-main/engine/formats/safetensors.js';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceForward } from '../../src-main/engine/lm/reference.js';
import { loadLmTokenizer } from '../../src-main/engine/lm/tokenizer.js';
import { JobRunner } from '../../src-main/jobs/runner.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { runCapture } from '../../src-main/steer/capture.js';
import { openChunkWriters } from '../../src-main/steer/capture-sidecar.js';
import { getCorpus } from '../../src-main/store/corpora.js';
import { randn, randomSae, rng, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { importModel, runJson } from '../helpers/cli.js';
import { fixtureFolder } from './hf-fixtures.js';

const CAPTIONS = [
  'The image shows a',
  'A photo of a dog running',
  'a red bus',
  'The cat sat',
  'A photo of a red image',
];
const LAYERS = [1, 2];
const weights = readLmWeights(openLmFolder(fixtureFolder('llama')));
const D = weights.config.dModel;
let dir: string;
let captionsCsv: string;
const opened: Project[] = [];

async function newProject(name: string): Promise<Project> {
  const folder = path.join(dir, `${name}.sightline`);
  expect((await runJson(['init', '--project', folder])).code).toBe(0);
  await importModel(folder, fixtureFolder('llama'));
  const project = openProject(folder);
  opened.push(project);
  return project;
}

/** Every row of a corpus, shard after shard, as float32. */
function corpusRows(project: Project, corpus: string): { rows: Float32Array; dtypes: string[] } {
  const shards = getCorpus(project, corpus).shards;
  const parts = shards.map((s) => readSafetensor(openSafetensors(s.path), 'activations'));
  const rows = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    rows.set(p, at);
    at += p.length;
  }
  return { rows, dtypes: shards.map((s) => s.dtype) };
}

beforeAll(() => {
  dir = tempDir();
  captionsCsv = path.join(dir, 'captions.csv');
  fs.writeFileSync(
    captionsCsv,
    `document,caption,label\n${CAPTIONS.map((c, i) => `doc-${i},${c},${i % 2 === 0 ? 'even' : 'odd'}`).join('\n')}\n`,
  );
});

afterAll(() => {
  for (const p of opened) p.close();
});

describe('sightline capture (captions)', () => {
  it('writes one corpus per layer whose rows are the reference hidden states, BOS as a special row', async () => {
    const project = await newProject('f32');
    const summary = await runCapture(project, {
      model: 'llama',
      layers: LAYERS,
      captionsFile: captionsCsv,
      corpus: 'cap',
      batch: 2,
      chunk: 2,
      provider: 'cpu',
    });
    expect(summary).toMatchObject({ state: 'done', documents: 5, captured: 5, dtype: 'F32' });
    expect(summary.corpora.map((c) => c.corpus)).toEqual(['cap-L1', 'cap-L2']);
    const tokenizer = loadLmTokenizer(fixtureFolder('llama'));
    const ids = CAPTIONS.map((c) => tokenizer.encode(c));
    const reference = ids.map((prompt) => referenceForward(weights, { ids: prompt, captureLayers: LAYERS }).hidden);
    for (const L of LAYERS) {
      const corpus = getCorpus(project, `cap-L${L}`);
      expect(corpus.shards.length).toBe(3);
      expect(corpus.source).toMatchObject({ model: 'llama', layer: L, dIn: D });
      // The first row of each document is BOS, a special row; the rest are its text tokens.
      const segments = corpus.shards.flatMap((s) => s.layout.segments ?? []);
      expect(segments.filter((s) => s.kind === 'special').length).toBe(5);
      const { rows } = corpusRows(project, `cap-L${L}`);
      expect(rows.length).toBe(ids.reduce((n, p) => n + p.length, 0) * D);
      let row = 0;
      ids.forEach((prompt, d) => {
        const want = reference[d].get(L)!;
        for (let s = 0; s < prompt.length; s++, row++) {
          for (let k = 0; k < D; k++) {
            const expected = want[s * D + k];
            expect(Math.abs(rows[row * D + k] - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)));
          }
        }
      });
    }
    // The documents keep their tokens (joined: the caption) and their label.
    const docs = project.db.prepare('SELECT external_id, text, meta_json FROM documents ORDER BY id LIMIT 5').all() as {
      external_id: string;
      text: string;
      meta_json: string;
    }[];
    expect(docs.map((d) => d.text)).toEqual(CAPTIONS);
    expect(JSON.parse(docs[1].meta_json)).toMatchObject({ label: 'odd' });

    // mine works on the captured corpus unchanged.
    const saeDir = writeSaeLensDir(path.join(dir, 'sae'), randomSae('relu', D, 32, 5));
    expect((await runJson(['import-sae', '--project', project.dir, '--path', saeDir, '--name', 's'])).code).toBe(0);
    const mined = await runJson([
      'mine',
      '--project',
      project.dir,
      '--sae',
      's',
      '--corpus',
      'cap-L2',
      '--provider',
      'cpu',
    ]);
    expect(mined.code).toBe(0);
    const textRows = ids.reduce((n, p) => n + p.length - 1, 0);
    expect(mined.value).toMatchObject({ tokens: textRows });
  });

  it('fp16 shards hold the fp32 values rounded to half precision, and say so', async () => {
    const project = await newProject('f16');
    await runCapture(project, {
      model: 'llama',
      layers: [2],
      captionsFile: captionsCsv,
      corpus: 'c16',
      provider: 'cpu',
      dtype: 'F16',
    });
    await runCapture(project, {
      model: 'llama',
      layers: [2],
      captionsFile: captionsCsv,
      corpus: 'c32',
      provider: 'cpu',
    });
    const half = corpusRows(project, 'c16-L2');
    const full = corpusRows(project, 'c32-L2');
    expect(half.dtypes).toEqual(['F16']);
    expect(full.dtypes).toEqual(['F32']);
    for (let i = 0; i < full.rows.length; i++)
      expect(Math.abs(half.rows[i] - full.rows[i])).toBeLessThanOrEqual(Math.abs(full.rows[i]) * 2 ** -11 + 2 ** -24);
  });

  const chunked = {
    model: 'llama',
    layers: LAYERS,
    get captionsFile() {
      return captionsCsv;
    },
    corpus: 'r',
    batch: 1,
    chunk: 2,
    provider: 'cpu',
  } as const;

  it('a cancelled capture, run again, skips finished chunks and ends equal to one uncancelled run', async () => {
    const project = await newProject('resume');
    const runner = new JobRunner();
    const first = await runCapture(project, {
      ...chunked,
      runner,
      progressIntervalMs: 0,
      // Cancel once the first chunk (two documents) is through.
      listener: (e) => e.state === 'running' && e.done >= 2 && runner.cancel(),
    });
    expect(first.state).toBe('cancelled');
    expect(first.corpora.every((c) => !c.imported)).toBe(true);
    const second = await runCapture(project, chunked);
    expect(second.state).toBe('done');
    // The first run kept its finished chunk (2 documents) and dropped the one it was cancelled in.
    expect(first.captured).toBe(2);
    expect(second.captured).toBe(3);
    expect(fs.readdirSync(first.folder).filter((f) => f.endsWith('.done'))).toHaveLength(3);
    const once = await newProject('once');
    await runCapture(once, chunked);
    for (const L of LAYERS) expect(corpusRows(project, `r-L${L}`).rows).toEqual(corpusRows(once, `r-L${L}`).rows);
    // Run a third time: nothing to do, nothing imported twice.
    const third = await runCapture(project, chunked);
    expect(third).toMatchObject({ state: 'done', captured: 0 });
  });

  it("two runs of one capture at once keep out of each other's files, and a killed writer's partial files are cleared", async () => {
    const project = await newProject('twice');
    const shardsOfChunk0 = () => {
      const [capture] = fs.readdirSync(path.join(project.dir, 'activations'));
      return LAYERS.map((L) => path.join(project.dir, 'activations', capture, `L${L}`, 'acts-00000.safetensors'));
    };
    // A writer on this machine that was killed mid-chunk: its pid is no longer running.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    let interfered = false;
    const summary = await runCapture(project, {
      ...chunked,
      progressIntervalMs: 0,
      listener: (e) => {
        if (e.state !== 'running' || e.done !== 1 || interfered) return;
        interfered = true;
        // Half-way through chunk 0, other runs of the same capture (the importing run started while this
        // one still writes, or the command started twice) begin that chunk and are cancelled.
        const files = shardsOfChunk0();
        for (const file of files) {
          fs.writeFileSync(`${file}.partial`, 'another run');
          fs.rmSync(`${file}.partial`);
          fs.writeFileSync(
            `${file}.${os.hostname().replace(/[^A-Za-z0-9_]/g, '_')}-${dead}-0badc0de.partial`,
            'killed',
          );
        }
        const other = openChunkWriters(files);
        for (const fd of other.fds) fs.writeSync(fd, 'another run');
        other.abandon();
      },
    });
    expect(interfered).toBe(true);
    expect(summary).toMatchObject({ state: 'done', captured: CAPTIONS.length });
    const once = await newProject('alone');
    await runCapture(once, chunked);
    for (const L of LAYERS) expect(corpusRows(project, `r-L${L}`).rows).toEqual(corpusRows(once, `r-L${L}`).rows);
    // The killed writer's files go at the next run; nothing partial is left.
    await runCapture(project, chunked);
    for (const file of shardsOfChunk0())
      expect(fs.readdirSync(path.dirname(file)).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('refuses --images on a text-only model, and a corpus name taken by another import', async () => {
    const project = await newProject('refuse');
    await expect(runCapture(project, { model: 'llama', layers: [1], images: dir })).rejects.toThrow(
      /model "llama" is LlamaForCausalLM, a text-only model; images need a LLaVA-NeXT model/,
    );
    await runCapture(project, { model: 'llama', layers: [1], captionsFile: captionsCsv, corpus: 'x', provider: 'cpu' });
    const other = path.join(dir, 'other.txt');
    fs.writeFileSync(other, 'a red bus\n');
    await expect(
      runCapture(project, { model: 'llama', layers: [1], captionsFile: other, corpus: 'x', provider: 'cpu' }),
    ).rejects.toThrow(/corpus named "x-L1" is already in this project/);
    await expect(runCapture(project, { model: 'llama', layers: [7], captionsFile: other })).rejects.toThrow(/layer/);
  });

  /** `sightline capture` of the llama fixture into `project` at `layers`; the source options follow. */
  const captureArgs = (project: Project, layers: string) => [
    'capture',
    '--project',
    project.dir,
    '--model',
    'llama',
    '--layers',
    layers,
  ];

  it('runs from the command line (one caption per line), and refuses --images on a text model with exit code 2', async () => {
    const project = await newProject('cli');
    const lines = path.join(dir, 'lines.txt');
    fs.writeFileSync(lines, `${CAPTIONS.slice(0, 3).join('\n')}\n`);
    const run = await runJson([
      ...captureArgs(project, '2,1'),
      '--captions',
      lines,
      '--dtype',
      'f16',
      '--provider',
      'cpu',
    ]);
    expect(run.code).toBe(0);
    expect(run.value).toMatchObject({ state: 'done', documents: 3, dtype: 'F16' });
    expect(run.value.corpora.map((c: { corpus: string }) => c.corpus)).toEqual(['llama-lines-L1', 'llama-lines-L2']);
    expect(getCorpus(project, 'llama-lines-L1').shards[0].dtype).toBe('F16');
    const refused = await runJson([...captureArgs(project, '1'), '--images', dir]);
    expect(refused.code).toBe(2);
    expect(refused.value.error.message).toMatch(/text-only model/);
  });
});

describe('the engine capture session takes input embeddings (where image documents plug in)', () => {
  it('rows from spliced embeddings equal the reference pass over the same embeddings', async () => {
    const client = EngineClient.start();
    try {
      const loaded = await client.loadLm({
        folder: fixtureFolder('llama'),
        providers: 'cpu',
        captureLayers: LAYERS,
        captureInput: 'embeds',
      });
      // Text embeddings with an "image" of 6 made-up feature rows spliced in after BOS, as LLaVA-NeXT
      // merges its projected image features into inputs_embeds; two documents of different lengths.
      const tokenizer = loadLmTokenizer(fixtureFolder('llama'));
      const documents = ['a red bus', 'The image shows a cat'].map((text, i) => {
        const ids = tokenizer.encode(text);
        const rows = [ids.slice(0, 1), null, ids.slice(1)].flatMap((part) =>
          part === null
            ? Array.from({ length: 6 }, (_, j) => randn(D, rng(10 * i + j), 0.5))
            : part.map((id) => weights.tensors.embed.slice(id * D, (id + 1) * D)),
        );
        const embeds = new Float32Array(rows.length * D);
        rows.forEach((row, j) => embeds.set(row, j * D));
        return embeds;
      });
      const result = await client.captureHidden({ lmId: loaded.lmId, embeds: documents.map((e) => e.slice()) });
      expect(result.layers).toEqual(LAYERS);
      LAYERS.forEach((L, l) => {
        let row = 0;
        for (const embeds of documents) {
          const want = referenceForward(weights, { embeds, captureLayers: LAYERS }).hidden.get(L)!;
          for (let i = 0; i < want.length; i++)
            expect(Math.abs(result.hidden[l][row * D + i] - want[i])).toBeLessThan(
              1e-4 * Math.max(1, Math.abs(want[i])),
            );
          row += embeds.length / D;
        }
        expect(result.hidden[l].length).toBe(row * D);
      });
    } finally {
      await client.close();
    }
  });
});
