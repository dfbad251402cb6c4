// `sightline sweep`: one generation per (prompt, k) steered at layer L (the paper's protocol is add,
// h += k*v, greedy; ablate, cap, the SAE-feature clamp and sampling too), each with its strength in
// model-relative units (KL at the first generated token). The k values of one prompt decode together
// in one batch (a per-row steer; no padding, and every row its own sampling stream, so a row's tokens
// do not depend on which other rows share its batch). Each batch is
// written in one transaction, its cells recorded in the generations' meta_json, so a cancelled or
// crashed sweep, run again, does only the cells still missing. With --shard i/n it runs one
// deterministic block of the grid into its own project folder, for `merge` to combine.
import crypto from 'node:crypto';
import path from 'node:path';
import { EngineClient } from '../engine/client';
import { checkSteerLayer, type SteerPositions } from '../engine/lm/steering';
import { loadLmTokenizer } from '../engine/lm/tokenizer';
import type { Precision } from '../contract/models';
// The summary's shape is the contract's (sweeps.run), declared once there.
import type { SweepSummary } from '../contract/sweeps';
import type { ProviderPreference } from '../engine/session';
import { checkModelFiles, getModelByName } from '../importers/model-import';
import { JobRunner, type ProgressListener } from '../jobs/runner';
import { openProject, type Project } from '../project/project';
import { canonicalJson } from '../store/jobs';
import { sweepCellsDone, writeSpecGenerations, type SpecAndGeneration } from '../store/steering';
import { AppError } from '../util/errors';
import { lmCacheOf, promptIdsOf } from './generate';
import { checkImageModel, expandImagePrompt, withImagePlaceholder } from './image-prompt';
import { readPromptsFile, type SweepPrompt } from './prompts-file';
import {
  DEFAULT_IMAGE_PROMPT,
  imageMeta,
  prepareSweepImage,
  promptsForHash,
  readSweepImages,
  type SweepImagesOptions,
  shownPrompt,
} from './sweep-images';
import {
  buildSteer,
  checkSteerRequest,
  COEFFICIENT_UNITS,
  resolveSampling,
  type SamplingRequest,
  type SteerBasis,
  type SteerMethod,
} from './steer-build';
import { gridKs, positionsText, shardCells, sweepIdOf, type Shard, type SweepSpec } from './sweep-spec';
import { saeFeatureForModel, vectorForModel } from './vectors';

export interface SweepOptions {
  model: string;
  /** default add */
  method?: SteerMethod;
  /** add, ablate, cap: the stored vector */
  vector?: string | undefined;
  /** clamp: the imported SAE and its feature */
  sae?: string | undefined;
  feature?: number | undefined;
  layer: number;
  /** none for ablate */
  ks: number[];
  /** temperature / top-p; seed 0 when absent, so every shard of a sweep samples alike */
  sampling?: SamplingRequest | undefined;
  /** the prompts file, or `prompts` given inline (the API), or `images` */
  promptsFile?: string;
  prompts?: SweepPrompt[];
  /** LLaVA-NeXT: `--images DIR|CSV|IMAGE`, one row per image, each asked `imagePrompt` (sweep-images.ts) */
  images?: string | undefined;
  /** default "What is shown in this image?"; <image> placed as `generate --image` places it */
  imagePrompt?: string | undefined;
  /** the class every image is steered towards, where its CSV row names none (else a probe vector's) */
  targetClass?: string | undefined;
  /** the class of every image whose folder or CSV row gives none (one image file has none) */
  sourceClass?: string | undefined;
  /** the concept-choice distractors of every image whose CSV row names none */
  distractors?: string[] | undefined;
  positions: SteerPositions;
  tokens: number;
  chat: boolean;
  shard: Shard | null;
  /** the shard's project folder (default <project>/shards/<i>-of-<n>) */
  out?: string;
  /** rows per decode (default 8): several k values of one prompt at once */
  batch?: number;
  provider?: ProviderPreference;
  /** weight precision (default fp32); part of the sweep's spec, so another precision is another sweep */
  precision?: Precision;
  runner?: JobRunner;
  listener?: ProgressListener;
  progressIntervalMs?: number;
  info?: (line: string) => void;
}

/** A unit of decoding: cells of one prompt. */
interface Batch {
  promptIndex: number;
  cells: number[];
}

function batchesOf(cells: readonly number[], kCount: number, size: number): Batch[] {
  const batches: Batch[] = [];
  for (const cell of cells) {
    const promptIndex = Math.floor(cell / kCount);
    const last = batches[batches.length - 1];
    if (last && last.promptIndex === promptIndex && last.cells.length < size) last.cells.push(cell);
    else batches.push({ promptIndex, cells: [cell] });
  }
  return batches;
}

function classFields(prompt: SweepPrompt): Record<string, unknown> {
  return {
    ...(prompt.sourceClass !== undefined ? { source_class: prompt.sourceClass } : {}),
    ...(prompt.targetClass !== undefined ? { target_class: prompt.targetClass } : {}),
    ...(prompt.distractors !== undefined ? { distractors: prompt.distractors } : {}),
  };
}

export async function runSweep(project: Project, options: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const model = getModelByName(project, options.model);
  checkSteerLayer(options.layer, model.nLayers);
  const method = options.method ?? 'add';
  if (method === 'clamp' ? options.vector !== undefined : options.sae !== undefined)
    throw new AppError(
      'invalid_input',
      method === 'clamp' ? '--method clamp takes --sae and --feature, not --vector' : '--sae is for --method clamp',
    );
  if (method === 'ablate' ? options.ks.length > 0 : options.ks.length === 0)
    throw new AppError(
      'invalid_input',
      method === 'ablate' ? '--k: ablate takes no k (one generation per prompt)' : '--k: expected at least one value',
    );
  // Seed 0 when absent (not a random one): every shard of a sweep must sample alike.
  const sampling = resolveSampling(options.sampling, () => 0);
  if (!(Number.isInteger(options.tokens) && options.tokens >= 1))
    throw new AppError('invalid_input', `--tokens: expected a positive whole number, got ${options.tokens}`);
  const batchSize = options.batch ?? 8;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new AppError('invalid_input', `--batch: expected a positive whole number, got ${batchSize}`);
  await checkModelFiles(project, model);
  if (options.images !== undefined) checkImageModel(model, '--images');
  let basis: SteerBasis;
  let source: Pick<SweepSpec, 'vector' | 'sae'>;
  let vectorSource: SweepImagesOptions['vector'];
  let sourceText: string;
  let sourceSha256: string | null;
  if (method === 'clamp') {
    if (options.sae === undefined || options.feature === undefined)
      throw new AppError('invalid_input', '--method clamp needs --sae NAME --feature N');
    const feature = await saeFeatureForModel(project, { sae: options.sae, feature: options.feature }, model);
    basis = { kind: 'sae', row: feature.row };
    source = { sae: feature.sae };
    sourceText = `sae "${feature.sae.name}" feature ${feature.sae.feature}`;
    sourceSha256 = feature.sae.sha256;
  } else {
    if (options.vector === undefined) throw new AppError('invalid_input', `--method ${method} needs --vector NAME`);
    const vector = vectorForModel(project, options.vector, model);
    basis = { kind: 'vector', values: vector.values, label: `vector "${vector.name}"` };
    source = { vector: { name: vector.name, sha256: vector.sha256, dModel: vector.dModel } };
    vectorSource = vector;
    sourceText = `vector "${vector.name}"`;
    sourceSha256 = vector.sha256;
  }
  checkSteerRequest(method, basis, method === 'ablate' ? null : 0);

  const givenRows = [options.promptsFile, options.prompts, options.images].filter((g) => g !== undefined).length;
  if (givenRows !== 1) throw new AppError('invalid_input', 'sweep: give one of a prompts file, prompts or --images');
  const imageOnly = [options.imagePrompt, options.targetClass, options.sourceClass, options.distractors];
  if (options.images === undefined && imageOnly.some((given) => given !== undefined))
    throw new AppError(
      'invalid_input',
      '--prompt, --source-class, --target-class and --distractors go with --images (a prompts file has its own)',
    );
  const imageRows =
    options.images === undefined
      ? undefined
      : readSweepImages({
          source: options.images,
          prompt: options.imagePrompt ?? DEFAULT_IMAGE_PROMPT,
          targetClass: options.targetClass,
          sourceClass: options.sourceClass,
          distractors: options.distractors,
          vector: vectorSource,
        });
  const prompts = imageRows?.prompts ?? options.prompts ?? readPromptsFile(options.promptsFile!);
  if (prompts.length === 0) throw new AppError('invalid_input', 'sweep: expected at least one prompt');
  const promptsName = options.promptsFile ? path.basename(options.promptsFile) : imageRows ? '--prompt' : 'prompts';
  const tokenizer = loadLmTokenizer(model.path);
  // An image row's ids are the one prompt's with its <image> expanded to that image's positions,
  // known only once the image is read (in its batch); a list of positions is checked there too.
  const checkPositions = (ids: number[], row: number) => {
    if (Array.isArray(options.positions) && options.positions.some((i) => i >= ids.length + options.tokens)) {
      throw new AppError(
        'invalid_input',
        `--positions: every index must be below ${ids.length + options.tokens} (prompt ${row + 1}: ${ids.length} tokens + ${options.tokens})`,
      );
    }
  };
  const promptIds = (imageRows ? [withImagePlaceholder(prompts[0].prompt)] : prompts.map((p) => p.prompt)).map(
    (text, index) => {
      const ids = promptIdsOf(tokenizer, text, options.chat);
      if (ids.length === 0) throw new AppError('invalid_input', `${promptsName}: prompt ${index + 1} has no tokens`);
      if (!imageRows) checkPositions(ids, index);
      return ids;
    },
  );

  const spec: SweepSpec = {
    model: { name: model.name, sha256: model.sha256 },
    ...source,
    method,
    layer: options.layer,
    hookPoint: `hidden_states[${options.layer}] (residual stream entering block ${options.layer})`,
    positions: typeof options.positions === 'string' ? options.positions : [...options.positions],
    ks: [...options.ks],
    prompts: {
      count: prompts.length,
      sha256: crypto
        .createHash('sha256')
        .update(canonicalJson(promptsForHash(prompts, imageRows)))
        .digest('hex'),
    },
    // Only when used, so that a text sweep made before images keeps its id.
    ...(imageRows ? { images: imageRows.spec } : {}),
    chat: options.chat,
    precision: options.precision ?? 'fp32',
    decoding: sampling
      ? {
          kind: 'sample',
          temperature: sampling.temperature,
          topP: sampling.topP,
          tokens: options.tokens,
          stopAtEos: false,
        }
      : { kind: 'greedy', tokens: options.tokens, stopAtEos: false },
    seed: sampling?.seed ?? 0,
  };
  const sweepId = sweepIdOf(spec);
  const ks = gridKs(spec);
  const kCount = ks.length;
  const { from, to } = shardCells(prompts.length * kCount, options.shard);
  const shardText = options.shard ? `${options.shard.index}/${options.shard.count}` : null;

  const target = options.shard
    ? openProject(options.out ?? path.join(project.dir, 'shards', `${options.shard.index}-of-${options.shard.count}`), {
        create: true,
        clock: project.clock,
      })
    : project;
  try {
    const done = new Set(sweepCellsDone(target.db, sweepId));
    const todo: number[] = [];
    for (let cell = from; cell < to; cell++) if (!done.has(cell)) todo.push(cell);
    const skipped = to - from - todo.length;
    options.info?.(
      `sweep ${sweepId}: ${prompts.length} prompts × ${kCount} k = ${prompts.length * kCount} cells${shardText ? `, shard ${shardText}: cells ${from}..${to - 1}` : ''}; ${skipped} already done`,
    );

    const runner = options.runner ?? new JobRunner();
    const client = EngineClient.start();
    let provider: string | null = null;
    try {
      const outcome = await runner.run<{ sweep: string }, number>(
        {
          db: target.db,
          dir: target.dir,
          kind: 'sweep',
          params: { sweep: sweepId, shard: shardText },
          ...(options.listener ? { listener: options.listener } : {}),
          ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
        },
        async (job) => {
          const total = to - from;
          let finished = skipped;
          job.progress(finished, total);
          if (todo.length === 0) return 0;
          job.throwIfCancelled();
          const loaded = await client.loadLm({
            folder: model.path,
            providers: options.provider ?? 'auto',
            precision: spec.precision,
            cache: lmCacheOf(project, model),
          });
          provider = loaded.provider.provider;
          options.info?.(`sweep: decoding on ${loaded.provider.provider} (${loaded.provider.reason})`);
          let generated = 0;
          for (const batch of batchesOf(todo, kCount, batchSize)) {
            job.throwIfCancelled();
            let ids = promptIds[imageRows ? 0 : batch.promptIndex];
            const image =
              imageRows && (await prepareSweepImage(model, imageRows.images[batch.promptIndex], target.media));
            if (image) {
              ids = expandImagePrompt(tokenizer, ids, model, image.prompt);
              checkPositions(ids, batch.promptIndex);
            }
            const cellKs = batch.cells.map((cell) => ks[cell % kCount]);
            const result = await client.generate({
              lmId: loaded.lmId,
              prompts: batch.cells.map(() => ids),
              // one pixels object for the batch: the engine runs the vision tower once for it
              ...(image ? { images: batch.cells.map(() => image.prompt.pixels) } : {}),
              steers: cellKs.map((k) => {
                const steer = buildSteer(method, basis, options.layer, options.positions, k);
                return steer ? [steer] : [];
              }),
              tokens: options.tokens,
              ...(sampling ? { sampling } : {}),
              strength: true,
            });
            const now = target.clock.now();
            const prompt = prompts[batch.promptIndex];
            const rows: SpecAndGeneration[] = batch.cells.map((cell, row) => {
              const k = cellKs[row];
              const generatedIds = result.generated[row];
              return {
                spec: {
                  name: `sweep ${sweepId}: ${k === null ? method : `k=${k}`}`,
                  method,
                  layer: options.layer,
                  hookPoint: spec.hookPoint,
                  positions: positionsText(options.positions),
                  vectorSource: sourceText,
                  vectorSha256: sourceSha256,
                  coefficient: k ?? 0,
                  coefficientUnits: COEFFICIENT_UNITS[method],
                  decodingJson: JSON.stringify(spec.decoding),
                  seed: spec.seed,
                  specJson: JSON.stringify({ sweep: { id: sweepId, ...spec }, k }),
                  createdAt: now,
                },
                generation: {
                  prompt: image ? shownPrompt(prompt.prompt) : prompt.prompt,
                  // the image in the project's media, which a concept-choice item shows the rater
                  mediaSha256: image?.mediaSha256 ?? null,
                  outputText: tokenizer.decode(generatedIds),
                  // k, layer and the classes are what campaign create --from generations keeps hidden.
                  meta: {
                    k,
                    layer: options.layer,
                    method,
                    ...classFields(prompt),
                    sweep: { id: sweepId, cell, prompt_index: batch.promptIndex },
                    ...(image ? { image: imageMeta(imageRows!.images[batch.promptIndex], image) } : {}),
                    prompt_ids: ids,
                    generated_ids: generatedIds,
                    // The strength in model-relative units, KL(steered || unsteered) in nats at the
                    // first generated token, and where its unsteered distribution came from.
                    kl: result.kl![row],
                    kl_baseline: result.klBaseline![row],
                    model_sha256: model.sha256,
                    ...(spec.vector ? { vector_sha256: spec.vector.sha256 } : {}),
                    ...(spec.sae ? { sae_sha256: spec.sae.sha256, sae_feature: spec.sae.feature } : {}),
                    ...(sampling ? { seed: sampling.seed } : {}),
                    precision: loaded.precision,
                    ort_version: loaded.ortVersion,
                    provider: result.provider,
                    provider_reason: loaded.provider.reason,
                    loop: result.loop,
                  },
                  createdAt: now,
                },
              };
            });
            writeSpecGenerations(target.db, rows);
            generated += rows.length;
            finished += rows.length;
            // The cells are in the database; the checkpoint only marks the job resumable after a crash.
            job.checkpoint({ sweep: sweepId }, finished);
            job.progress(finished, total);
          }
          return generated;
        },
      );
      return {
        jobId: outcome.jobId,
        state: outcome.state,
        sweepId,
        projectDir: target.dir,
        shard: shardText,
        cells: to - from,
        generated:
          outcome.result ?? sweepCellsDone(target.db, sweepId).filter((c) => c >= from && c < to).length - skipped,
        skipped,
        provider,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      await client.close();
    }
  } finally {
    if (target !== project) target.close();
  }
}
