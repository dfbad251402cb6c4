// `sightline capture` (issue 14): run the model over documents and keep the residual stream entering
// the chosen blocks ("layer L" = transformers' hidden_states[L]) as `sightline.activations/1` shards,
// one corpus per layer, imported through the real importer in the same job, so `mine` and `probe` read
// them like any imported corpus. Documents are cut into fixed chunks; a chunk's shards (one per layer)
// are written, then its marker file, so a cancelled or crashed capture run again skips finished chunks.
// Documents are captions (text) and/or images (LLaVA-NeXT: the vision tower's features packed into the
// prompt's <image>, capture-images.ts). With a shard (`--shard i/n`) a run captures only its block of
// chunks and imports nothing; a later run without one finds them done, captures the rest and imports.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CaptureSummary } from '../contract/capture';
import { EngineClient } from '../engine/client';
import { encodeFloats, safetensorsHead, type WriteDtype } from '../engine/formats/tensor-write';
import { checkSteerLayer } from '../engine/lm/steering';
import { loadLmTokenizer } from '../engine/lm/tokenizer';
import type { ProviderPreference } from '../engine/session';
import { importDenseActivations } from '../importers/activations-import';
import { checkModelFiles, getModelByName } from '../importers/model-import';
import { JobRunner, type ProgressListener } from '../jobs/runner';
import { openProject, type Project } from '../project/project';
import { corpusExists, getCorpus } from '../store/corpora';
import { canonicalJson } from '../store/jobs';
import { AppError } from '../util/errors';
import { type Shard, shardRange, shardText } from '../util/shard-slice';
import { writeFileAtomic } from '../util/write-atomic';
import {
  chunkMarker,
  chunkRecordOf,
  openChunkWriters,
  readChunkRecord,
  removeDeadPartials,
  shardFileName,
  sidecarOf,
  writeChunkRecord,
} from './capture-sidecar';
import { readCaptureSources } from './capture-sources';
import { lmCacheOf } from './generate';

export interface CaptureOptions {
  model: string;
  layers: number[];
  /** captions (text documents): a text file, one per line, or CSV document,caption[,label] */
  captionsFile?: string;
  /** image documents: a folder (one subfolder per class) or a CSV image,document,label|class,caption */
  images?: string;
  /** image documents' prompt (default DEFAULT_IMAGE_PROMPT); <image> is put in front when it has none */
  prompt?: string;
  /** place image documents' prompt through the model's chat template */
  chat?: boolean;
  /** capture only this block of chunks (a job array's task) and import nothing */
  shard?: Shard;
  /** corpora are named <corpus>-L<layer> (default: the model's name and the captions or images source's) */
  corpus?: string;
  /** shard precision (default F32); recorded in each shard's header and in the corpus */
  dtype?: WriteDtype;
  /** documents per forward pass (default 8) */
  batch?: number;
  /** documents per shard file (default 1024) */
  chunk?: number;
  provider?: ProviderPreference;
  intraOpNumThreads?: number;
  runner?: JobRunner;
  listener?: ProgressListener;
  /** told the capture's id and corpora once every refusal has passed, before the job starts (capture.start answers with them) */
  onPlan?: (plan: { captureId: string; corpora: { layer: number; corpus: string }[] }) => void;
  progressIntervalMs?: number;
  info?: (line: string) => void;
}

export type { CaptureSummary } from '../contract/capture';

export function parseLayers(text: string): number[] {
  const layers = text.split(',').map((part) => Number(part.trim()));
  if (layers.length === 0 || layers.some((L) => !Number.isInteger(L) || L < 0))
    throw new AppError('invalid_input', `--layers: expected layer numbers like 5,8,12, got "${text}"`);
  if (new Set(layers).size !== layers.length)
    throw new AppError('invalid_input', `--layers: each layer once, got "${text}"`);
  return layers.sort((a, b) => a - b);
}

export async function runCapture(project: Project, options: CaptureOptions): Promise<CaptureSummary> {
  const model = getModelByName(project, options.model);
  if (options.layers.length === 0) throw new AppError('invalid_input', '--layers: expected at least one layer');
  for (const L of options.layers) checkSteerLayer(L, model.nLayers);
  const layers = [...new Set(options.layers)].sort((a, b) => a - b);
  const dtype = options.dtype ?? 'F32';
  const batch = options.batch ?? 8;
  const chunk = options.chunk ?? 1024;
  for (const [name, value] of [
    ['--batch', batch],
    ['--chunk', chunk],
  ] as const)
    if (!(Number.isInteger(value) && value >= 1))
      throw new AppError('invalid_input', `${name}: expected a positive whole number, got ${value}`);
  const tokenizer = loadLmTokenizer(model.path);
  const sources = readCaptureSources(model, tokenizer, options);
  await checkModelFiles(project, model);

  const spec = { model: { name: model.name, sha256: model.sha256 }, layers, dtype, chunk, ...sources.spec };
  const captureId = crypto.createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12);
  const folder = path.join(project.dir, 'activations', `capture-${captureId}`);
  const prefix = options.corpus ?? sources.defaultPrefix;
  const sidecarPath = (L: number) => path.join(folder, `L${L}`, 'activations.json');
  // A corpus of that name from this very capture is done; from anything else it is a conflict, found
  // before any work.
  const imported = new Map<number, boolean>();
  for (const L of layers) {
    const name = `${prefix}-L${L}`;
    const ours =
      corpusExists(project.db, name) &&
      (getCorpus(project, name).source.sidecar as { path?: string } | undefined)?.path === sidecarPath(L);
    if (corpusExists(project.db, name) && !ours)
      throw new AppError(
        'conflict',
        `a corpus named "${name}" is already in this project; pass --corpus to choose another name`,
      );
    imported.set(L, ours);
  }

  options.onPlan?.({ captureId, corpora: layers.map((L) => ({ layer: L, corpus: `${prefix}-L${L}` })) });

  const chunks: { from: number; to: number }[] = [];
  for (let from = 0; from < sources.count; from += chunk)
    chunks.push({ from, to: Math.min(sources.count, from + chunk) });
  const shard = options.shard ?? null;
  // A shard takes a fixed block of chunks (util/shard-slice.ts, as sweep and mine cut theirs).
  const mine = shardRange(chunks.length, shard);
  for (const L of layers) {
    fs.mkdirSync(path.join(folder, `L${L}`), { recursive: true });
    removeDeadPartials(path.join(folder, `L${L}`));
  }
  writeFileAtomic(path.join(folder, 'capture.json'), `${JSON.stringify({ id: captureId, ...spec }, null, 2)}\n`);
  const isDone = (c: number) => fs.existsSync(chunkMarker(folder, c));
  const todo: number[] = [];
  for (let c = mine.from; c < mine.to; c++) if (!isDone(c)) todo.push(c);
  const ours = chunks.slice(mine.from, mine.to);
  const total = ours.reduce((n, ch) => n + ch.to - ch.from, 0);
  const skipped = total - todo.reduce((n, c) => n + chunks[c].to - chunks[c].from, 0);
  options.info?.(
    `capture ${captureId}: ${sources.count} documents, layers ${layers.join(',')}, ${dtype}, ${chunks.length} shard(s) per layer${shard ? `; shard ${shardText(shard)}: ${mine.to > mine.from ? `shards ${mine.from}..${mine.to - 1}` : 'no shards (more tasks than chunks)'}` : ''}; ${skipped} documents already captured`,
  );

  // A shard's job lives in a project of its own inside the capture folder, so array tasks only read
  // the project and never write one SQLite file together (as mine --shard does).
  const jobHome = shard
    ? openProject(path.join(folder, `shard-${shard.index}-of-${shard.count}`), { create: true })
    : project;
  const runner = options.runner ?? new JobRunner();
  let client: EngineClient;
  try {
    client = EngineClient.start();
  } catch (error) {
    if (jobHome !== project) jobHome.close();
    throw error;
  }
  let provider: string | null = null;
  let captured = 0;
  try {
    const outcome = await runner.run<{ chunks: number }, void>(
      {
        db: jobHome.db,
        dir: jobHome.dir,
        kind: 'capture',
        params: { capture: captureId, ...(shard ? { shard: shardText(shard) } : {}) },
        ...(options.listener ? { listener: options.listener } : {}),
        ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      },
      async (job) => {
        let done = skipped;
        job.progress(done, total);
        if (todo.length > 0) {
          job.throwIfCancelled();
          const loaded = await client.loadLm({
            folder: model.path,
            providers: options.provider ?? 'auto',
            captureLayers: layers,
            // Image documents: the session takes inputs_embeds, which the worker builds (tower + packing).
            ...(sources.hasImages ? { captureInput: 'embeds' as const } : {}),
            // fp32; a model over 1 GiB of weights is read as ONNX external data from the project's cache.
            cache: lmCacheOf(project, model),
            ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
          });
          provider = loaded.provider.provider;
          options.info?.(`capture: running on ${loaded.provider.provider} (${loaded.provider.reason})`);
          for (const c of todo) {
            const { from, to } = chunks[c];
            const entries = sources.entries(from, to);
            const record = chunkRecordOf(entries);
            // Each layer's shard is streamed batch by batch behind a header written first (its row
            // count is known from the documents' layouts), so memory holds one batch, not a chunk.
            const head = safetensorsHead([{ name: 'activations', shape: [record.rows, model.dModel], dtype }]);
            const files = layers.map((L) => path.join(folder, `L${L}`, shardFileName(c)));
            const chunkFiles = openChunkWriters(files);
            const writers = chunkFiles.fds;
            let inChunk = 0;
            let complete = false;
            try {
              writers.forEach((fd) => fs.writeSync(fd, head));
              for (let at = from; at < to; at += batch) {
                job.throwIfCancelled();
                const part = entries.slice(at - from, Math.min(to, at + batch) - from);
                const prompts = part.map((e) => e.layout.ids);
                const images = sources.hasImages ? await sources.pixels(part, at) : undefined;
                const result = await client.captureHidden({
                  lmId: loaded.lmId,
                  prompts,
                  ...(images ? { images } : {}),
                });
                result.hidden.forEach((hidden, i) => fs.writeSync(writers[i], encodeFloats(hidden, dtype)));
                inChunk += prompts.length;
                job.progress(done + inChunk, total);
              }
              complete = true;
            } finally {
              // A cancelled or failed chunk leaves nothing: the next run captures it whole.
              if (!complete) chunkFiles.abandon();
            }
            chunkFiles.finish();
            done += inChunk;
            captured += inChunk;
            writeChunkRecord(folder, c, record);
            // Written last: the chunk counts as finished only when every layer's shard is on disk.
            writeFileAtomic(chunkMarker(folder, c), '');
            job.checkpoint({ chunks: c + 1 }, done);
          }
        }
        // A shard imports nothing: the run without --shard imports once every chunk is done.
        if (shard) return;
        const pending = layers.filter((L) => !imported.get(L));
        if (pending.length === 0) return;
        const records = chunks.map((ch, c) =>
          readChunkRecord(folder, c, () => chunkRecordOf(sources.entries(ch.from, ch.to))),
        );
        for (const L of pending) {
          job.throwIfCancelled();
          job.progress(done, total, `importing layer ${L}`);
          writeFileAtomic(sidecarPath(L), `${JSON.stringify(sidecarOf(L, model.dModel, model.name, records))}\n`);
          await importDenseActivations(project, sidecarPath(L), `${prefix}-L${L}`);
        }
      },
    );
    return {
      jobId: outcome.jobId,
      state: outcome.state,
      captureId,
      folder,
      documents: sources.count,
      captured,
      dtype,
      shard: shard ? shardText(shard) : null,
      corpora: layers.map((L) => {
        const name = `${prefix}-L${L}`;
        const exists = corpusExists(project.db, name);
        return {
          layer: L,
          corpus: name,
          rows: exists ? getCorpus(project, name).shards.reduce((n, s) => n + s.rows, 0) : 0,
          imported: exists,
        };
      }),
      provider,
    };
  } finally {
    await client.close();
    if (jobHome !== project) jobHome.close();
  }
}
