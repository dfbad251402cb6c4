// `sightline capture` (issue 14): run the model over documents and keep the residual stream entering
// the chosen blocks ("layer L" = transformers' hidden_states[L]) as `sightline.activations/1` shards,
// one corpus per layer, imported through the real importer in the same job, so `mine` and `probe` read
// them like any imported corpus. Documents are cut into fixed chunks; a chunk's shards (one per layer)
// are written, then its marker file, so a cancelled or crashed capture run again skips finished chunks.
// Today documents are captions (text only); image documents need the vision tower (see captureImages).
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
import type { Project } from '../project/project';
import { corpusExists, getCorpus } from '../store/corpora';
import { canonicalJson } from '../store/jobs';
import { AppError } from '../util/errors';
import { writeFileAtomic } from '../util/write-atomic';
import { readCaptionsFile, type CaptureDocument } from './capture-documents';
import { lmCacheOf } from './generate';
import { captionLayout, type DocumentLayout } from './capture-layout';

export interface CaptureOptions {
  model: string;
  layers: number[];
  /** captions (text documents): a text file, one per line, or CSV document,caption[,label] */
  captionsFile?: string;
  /** image documents: refused until the vision tower is in (captureImages) */
  images?: string;
  /** corpora are named <corpus>-L<layer> (default: the model's name and the captions file's) */
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
  progressIntervalMs?: number;
  info?: (line: string) => void;
}

export type { CaptureSummary } from '../contract/capture';

/** Where the image path plugs in: documents with an image need the LLaVA-NeXT vision tower. */
function captureImages(images: string): never {
  throw new AppError(
    'invalid_input',
    `--images ${images}: capturing images needs the LLaVA-NeXT vision tower (image preprocessing, CLIP encoder, projector and packing into inputs_embeds), which this build does not have yet; use --captions FILE for text documents`,
  );
}

export function parseLayers(text: string): number[] {
  const layers = text.split(',').map((part) => Number(part.trim()));
  if (layers.length === 0 || layers.some((L) => !Number.isInteger(L) || L < 0))
    throw new AppError('invalid_input', `--layers: expected layer numbers like 5,8,12, got "${text}"`);
  if (new Set(layers).size !== layers.length)
    throw new AppError('invalid_input', `--layers: each layer once, got "${text}"`);
  return layers.sort((a, b) => a - b);
}

const pad = (n: number) => String(n).padStart(5, '0');

/** The sidecar of one layer: every document, and per chunk its shard with the rows' segments. */
function sidecarOf(
  layer: number,
  dModel: number,
  modelName: string,
  documents: readonly CaptureDocument[],
  layouts: readonly DocumentLayout[],
  chunks: readonly { from: number; to: number }[],
): unknown {
  return {
    format: 'sightline.activations/1',
    d_in: dModel,
    model: modelName,
    layer,
    hook_point: `hidden_states[${layer}] (residual stream entering block ${layer})`,
    documents: documents.map((d, i) => ({
      id: d.id,
      tokens: layouts[i].tokens,
      ...(d.label !== undefined ? { meta: { label: d.label } } : {}),
    })),
    shards: chunks.map((chunk, c) => ({
      path: `acts-${pad(c)}.safetensors`,
      tensor: 'activations',
      segments: layouts
        .slice(chunk.from, chunk.to)
        .flatMap((layout, j) =>
          layout.segments.map((segment) => ({ document: documents[chunk.from + j].id, ...segment })),
        ),
    })),
  };
}

export async function runCapture(project: Project, options: CaptureOptions): Promise<CaptureSummary> {
  if (options.images !== undefined) captureImages(options.images);
  if (options.captionsFile === undefined)
    throw new AppError('invalid_input', 'capture: give --captions FILE (text documents) or --images DIR|CSV');
  const model = getModelByName(project, options.model);
  if (options.layers.length === 0) throw new AppError('invalid_input', '--layers: expected at least one layer');
  for (const L of options.layers) checkSteerLayer(L, model.nLayers);
  const layers = [...new Set(options.layers)].sort((a, b) => a - b);
  await checkModelFiles(project, model);
  const dtype = options.dtype ?? 'F32';
  const batch = options.batch ?? 8;
  const chunk = options.chunk ?? 1024;
  for (const [name, value] of [
    ['--batch', batch],
    ['--chunk', chunk],
  ] as const)
    if (!(Number.isInteger(value) && value >= 1))
      throw new AppError('invalid_input', `${name}: expected a positive whole number, got ${value}`);

  const documents = readCaptionsFile(options.captionsFile);
  const tokenizer = loadLmTokenizer(model.path);
  const layouts = documents.map((d) => captionLayout(tokenizer, d.caption));
  layouts.forEach((layout, i) => {
    if (layout.tokens.length === 0)
      throw new AppError(
        'invalid_input',
        `${path.basename(options.captionsFile!)}: "${documents[i].id}" has no tokens`,
      );
  });

  const spec = {
    model: { name: model.name, sha256: model.sha256 },
    layers,
    dtype,
    chunk,
    documents: crypto.createHash('sha256').update(canonicalJson(documents)).digest('hex'),
  };
  const captureId = crypto.createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12);
  const folder = path.join(project.dir, 'activations', `capture-${captureId}`);
  const prefix = options.corpus ?? `${model.name}-${path.basename(options.captionsFile).replace(/\.[^.]+$/, '')}`;
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

  const chunks: { from: number; to: number }[] = [];
  for (let from = 0; from < documents.length; from += chunk)
    chunks.push({ from, to: Math.min(documents.length, from + chunk) });
  const marker = (c: number) => path.join(folder, `chunk-${pad(c)}.done`);
  for (const L of layers) fs.mkdirSync(path.join(folder, `L${L}`), { recursive: true });
  writeFileAtomic(path.join(folder, 'capture.json'), `${JSON.stringify({ id: captureId, ...spec }, null, 2)}\n`);
  const todo = chunks.map((_, c) => c).filter((c) => !fs.existsSync(marker(c)));
  const skipped = chunks.filter((_, c) => !todo.includes(c)).reduce((n, ch) => n + ch.to - ch.from, 0);
  options.info?.(
    `capture ${captureId}: ${documents.length} documents, layers ${layers.join(',')}, ${dtype}, ${chunks.length} shard(s) per layer; ${skipped} documents already captured`,
  );

  const runner = options.runner ?? new JobRunner();
  const client = EngineClient.start();
  let provider: string | null = null;
  let captured = 0;
  try {
    const outcome = await runner.run<{ chunks: number }, void>(
      {
        db: project.db,
        dir: project.dir,
        kind: 'capture',
        params: { capture: captureId },
        ...(options.listener ? { listener: options.listener } : {}),
        ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      },
      async (job) => {
        let done = skipped;
        job.progress(done, documents.length);
        if (todo.length > 0) {
          job.throwIfCancelled();
          const loaded = await client.loadLm({
            folder: model.path,
            providers: options.provider ?? 'auto',
            captureLayers: layers,
            // fp32; a model over 1 GiB of weights is read as ONNX external data from the project's cache.
            cache: lmCacheOf(project, model),
            ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
          });
          provider = loaded.provider.provider;
          options.info?.(`capture: running on ${loaded.provider.provider} (${loaded.provider.reason})`);
          for (const c of todo) {
            const { from, to } = chunks[c];
            // Each layer's shard is streamed batch by batch behind a header written first (its row
            // count is known from the tokenised documents), so memory holds one batch, not a chunk.
            const rows = layouts.slice(from, to).reduce((n, l) => n + l.ids.length, 0);
            const head = safetensorsHead([{ name: 'activations', shape: [rows, model.dModel], dtype }]);
            const files = layers.map((L) => path.join(folder, `L${L}`, `acts-${pad(c)}.safetensors`));
            const partial = (file: string) => `${file}.partial`;
            const writers = files.map((file) => fs.openSync(partial(file), 'w'));
            let inChunk = 0;
            let complete = false;
            try {
              writers.forEach((fd) => fs.writeSync(fd, head));
              for (let at = from; at < to; at += batch) {
                job.throwIfCancelled();
                const prompts = layouts.slice(at, Math.min(to, at + batch)).map((l) => l.ids);
                const result = await client.captureHidden({ lmId: loaded.lmId, prompts });
                result.hidden.forEach((hidden, i) => fs.writeSync(writers[i], encodeFloats(hidden, dtype)));
                inChunk += prompts.length;
                job.progress(done + inChunk, documents.length);
              }
              complete = true;
            } finally {
              writers.forEach((fd) => fs.closeSync(fd));
              // A cancelled or failed chunk leaves nothing: the next run captures it whole.
              if (!complete) for (const file of files) fs.rmSync(partial(file), { force: true });
            }
            for (const file of files) fs.renameSync(partial(file), file);
            done += inChunk;
            captured += inChunk;
            // Written last: the chunk counts as finished only when every layer's shard is on disk.
            writeFileAtomic(marker(c), '');
            job.checkpoint({ chunks: c + 1 }, done);
          }
        }
        for (const L of layers) {
          if (imported.get(L)) continue;
          job.throwIfCancelled();
          job.progress(done, documents.length, `importing layer ${L}`);
          const sidecar = sidecarOf(L, model.dModel, model.name, documents, layouts, chunks);
          writeFileAtomic(sidecarPath(L), `${JSON.stringify(sidecar)}\n`);
          await importDenseActivations(project, sidecarPath(L), `${prefix}-L${L}`);
        }
      },
    );
    return {
      jobId: outcome.jobId,
      state: outcome.state,
      captureId,
      folder,
      documents: documents.length,
      captured,
      dtype,
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
  }
}
