// `mine`: one streaming pass over a corpus's shards. The engine worker encodes each batch with the
// ONNX encoder (TopK in the graph: K = the SAE's k for TopK SAEs, else `topK`, 64 by default, per
// token; a dense [N, d_sae] never reaches JS), the main thread updates the accumulators while the
// worker encodes the next batch, and the job checkpoints the accumulators so a crash resumes. At the
// end the chosen example documents are re-encoded into a staging file and features + examples are
// swapped in by one short transaction, replacing any earlier mining of this SAE (write-results.ts).
// With --shard the pass covers one block of documents and saves its accumulators instead (mine-shard.ts).
import path from 'node:path';
import { EngineClient } from '../engine/client';
import type { MineSummary } from '../contract/jobs';
import type { EncodeBatchResult, LoadedSae } from '../engine/protocol';
import type { ProviderPreference } from '../engine/session';
import { checkCorpusFilesPresent } from '../project/references';
import { getCorpus, type ShardRecord } from '../store/corpora';
import { checkSaeFilesPresent, checkSaeHashes, loadOptionsOf } from '../importers/sae-import';
import { getSaeByName } from '../store/saes';
import type { ProgressListener } from '../jobs/runner';
import { JobRunner } from '../jobs/runner';
import { openProject, type Project } from '../project/project';
import { AppError } from '../util/errors';
import { ACCUMULATOR_LAYOUT, FeatureAccumulators } from './accumulators';
import { ROW_IMAGE } from './layout';
import { DenseShardReader, type Batch } from './shard-reader';
import { DEFAULT_SELECT, type QuantileScheme } from './select';
import { writeMiningResults, type WriteStepListener, type WrittenResults } from './write-results';
import { computeExampleActivations } from './example-acts';
import { DELPHI_PROVIDER, mineDelphi } from './mine-delphi';
import type { CorpusRecord } from '../store/corpora';
import type { SaeRecord } from '../store/saes';
import { shardText, type Shard } from '../util/shard-slice';
import { contentRowsPerFile, defaultShardDir, planMineShard, saveMineShard, type ShardPlan } from './mine-shard';
import type { RowFilter } from './shard-reader';

export interface MineOptions {
  sae: string;
  corpus: string;
  top?: number;
  provider?: ProviderPreference;
  batch?: number;
  scheme?: QuantileScheme;
  /** K per token for non-TopK SAEs (default 64) */
  topK?: number;
  threads?: number;
  /** how often to checkpoint (default 30 s); 0 checkpoints after every batch */
  checkpointMs?: number;
  listener?: ProgressListener;
  info?: (line: string) => void;
  runner?: JobRunner;
  /** called between groups of the write phase while project.sqlite is not locked (see WriteStepListener) */
  onWriteStep?: WriteStepListener;
  /** mine only this block of the corpus's documents and save the accumulators into `out` (mine-shard.ts) */
  shard?: Shard;
  /** the shard's folder (default <project>/mine-shards/<sae>/<i>-of-<n>) */
  out?: string;
}

// The summary's shape is the contract's (mine.run), declared once there.
export type { MineSummary } from '../contract/jobs';

interface Position {
  shard: number;
  row: number;
}

export const DEFAULT_TOPK = 64;

export async function mine(project: Project, options: MineOptions): Promise<MineSummary> {
  const started = Date.now();
  const info = options.info ?? (() => {});
  const sae = getSaeByName(project, options.sae);
  const corpus = getCorpus(project, options.corpus);
  const top = options.top ?? 20;
  const scheme = options.scheme ?? 'equal-count';
  const batchSize = options.batch ?? 2048;
  if (!(top >= 1 && top <= 1000)) throw new AppError('invalid_input', `--top: expected 1..1000, got ${top}`);
  if (!(batchSize >= 1)) throw new AppError('invalid_input', `--batch: expected a positive number, got ${batchSize}`);
  if (options.out !== undefined && !options.shard)
    throw new AppError('invalid_input', '--out needs --shard (an unsharded mine writes into --project)');
  const isDelphi = corpus.shards.length > 0 && corpus.shards.every((s) => s.kind === 'delphi');
  if (isDelphi && options.shard)
    throw new AppError('invalid_input', `--shard: corpus "${corpus.name}" is a delphi cache; mine it unsharded`);
  if (isDelphi) return mineDelphiCorpus(project, sae, corpus, { top, scheme, started, options });
  if (corpus.shards.some((s) => s.kind !== 'dense'))
    throw new AppError('invalid_input', `corpus "${corpus.name}" mixes dense and delphi shards`);
  const dIn = corpus.shards[0]?.shape[1];
  if (dIn !== sae.dIn)
    throw new AppError(
      'invalid_input',
      `corpus "${corpus.name}" has d_in ${dIn} but SAE "${sae.name}" expects d_in ${sae.dIn}`,
    );
  checkSaeFilesPresent(project, sae);
  checkCorpusFilesPresent(project, corpus);
  const k =
    sae.architecture === 'topk' && sae.config.k
      ? Math.min(sae.config.k, sae.dSae)
      : Math.min(options.topK ?? DEFAULT_TOPK, sae.dSae);
  const plan = options.shard ? planMineShard(corpus, options.shard) : null;
  const total = plan ? plan.tokens : contentRowsPerFile(corpus).reduce((a, b) => a + b, 0);
  const settings = { scheme, ...DEFAULT_SELECT };
  // Batch size, provider and threads do not change the result, so a resume may use others.
  // `accumulators` names the checkpoint's layout: a crashed run saved in another layout starts afresh.
  const params = {
    sae: sae.id,
    saeSha256: sae.sha256,
    corpus: corpus.id,
    top,
    k,
    scheme,
    ...DEFAULT_SELECT,
    accumulators: ACCUMULATOR_LAYOUT,
    // Only for shards, so an unsharded run's params (and its resumable checkpoints) stay as they were.
    ...(plan ? { shard: shardText(plan.shard), documents: [plan.from, plan.to] } : {}),
  };
  // A shard's job and checkpoints live in its own folder (a project of its own), so array tasks
  // only read the project and never write one SQLite file together.
  const shardDir = plan ? path.resolve(options.out ?? defaultShardDir(project.dir, sae.name, plan.shard)) : null;
  const jobHome = shardDir ? openProject(shardDir, { create: true }) : project;
  const runner = options.runner ?? new JobRunner();
  const client = EngineClient.start();
  let provider = { provider: 'cpu', reason: '' };
  const phases = { loadSeconds: 0, passSeconds: 0, writeSeconds: 0, lockSeconds: 0 };
  const since = (t: number) => (performance.now() - t) / 1000;
  try {
    const outcome = await runner.run<Position, WrittenResults>(
      {
        db: jobHome.db,
        dir: jobHome.dir,
        kind: 'mine',
        params,
        ...(options.listener ? { listener: options.listener } : {}),
      },
      async (job) => {
        const loadStarted = performance.now();
        const loaded = await loadEncoder(client, sae, options);
        provider = loaded.provider;
        info(`mine: encoding on ${loaded.provider.provider} (${loaded.provider.reason})`);
        phases.loadSeconds = since(loadStarted);
        const passStarted = performance.now();
        let acc: FeatureAccumulators;
        let at: Position = { shard: 0, row: 0 };
        if (job.resumed?.blob) {
          acc = FeatureAccumulators.restore(sae.dSae, top, job.resumed.blob);
          at = job.resumed.state;
          info(`mine: resuming job ${job.id} from its checkpoint at ${acc.tokens}/${total} tokens`);
        } else {
          acc = new FeatureAccumulators(sae.dSae, top);
        }
        const checkpointMs = options.checkpointMs ?? 30_000;
        let lastCheckpoint = Date.now();
        const reads = streamBatches(corpus.shards, dIn, batchSize, at, plan);
        let current = reads.next().value;
        // The image flags split the engine's exact firing counts by modality (see EncodeBatchResult.counts).
        const encode = (b: Batch) => client.encodeBatch(loaded.saeId, b.x, k, { image: imageFlags(b) });
        let inflight: Promise<EncodeBatchResult> | undefined = current ? encode(current) : undefined;
        while (current && inflight) {
          // Read the next batch while the worker encodes this one (double buffering).
          const next = reads.next().value;
          const result = await inflight;
          inflight = next ? encode(next) : undefined;
          acc.addBatch(result.values, result.indices, result.n, result.k, current, acc.tokens, result.counts);
          at = { shard: current.shard, row: current.nextRow };
          job.progress(acc.tokens, total);
          if (Date.now() - lastCheckpoint >= checkpointMs && next) {
            job.checkpoint(at, acc.tokens, acc.arrays());
            lastCheckpoint = Date.now();
          }
          if (job.cancelled) {
            await inflight?.catch(() => undefined);
            job.throwIfCancelled();
          }
          current = next;
        }
        phases.passSeconds = since(passStarted);
        if (acc.atK > 0 && loaded.countsAllFirings) {
          info(
            `mine: ${acc.atK} of ${acc.tokens} tokens fired ${k} or more features: counts, density and the modality split include all their firings; the histogram and examples use each token's top ${k} (--k raises it)`,
          );
        }
        if (plan && shardDir) {
          job.throwIfCancelled();
          const mined = { top, k, select: settings, countsExact: loaded.countsAllFirings, provider: loaded.provider };
          return { examples: 0, alive: saveMineShard(shardDir, plan, sae, corpus, mined, acc), lockSeconds: 0 };
        }
        job.progress(acc.tokens, total, 'writing features and examples');
        const writeStarted = performance.now();
        const written = await writeMiningResults(
          project,
          sae,
          corpus.name,
          acc,
          settings,
          job,
          {
            provider: loaded.provider.provider,
            providerReason: loaded.provider.reason,
            k,
            countsExact: loaded.countsAllFirings,
          },
          (wanted, emit, checkCancelled) =>
            computeExampleActivations(project.db, client, loaded.saeId, sae.dIn, corpus, wanted, emit, checkCancelled),
          options.onWriteStep,
        );
        phases.writeSeconds = since(writeStarted);
        phases.lockSeconds = written.lockSeconds;
        return written;
      },
    );
    const tokens = outcome.state === 'done' ? total : 0;
    const sharded = plan && shardDir ? { shard: shardText(plan.shard), shardDir } : {};
    return {
      jobId: outcome.jobId,
      state: outcome.state,
      sae: sae.name,
      corpus: corpus.name,
      tokens,
      features: sae.dSae,
      alive: outcome.result?.alive ?? 0,
      examples: outcome.result?.examples ?? 0,
      provider: provider.provider,
      providerReason: provider.reason,
      k,
      scheme,
      resumedFromTokens: outcome.resumedFrom,
      seconds: (Date.now() - started) / 1000,
      phases,
      ...sharded,
    };
  } finally {
    await client.close();
    if (jobHome !== project) jobHome.close();
  }
}

/** Loads the SAE's encoder in the engine and proves its files are the bytes that were imported. */
export async function loadEncoder(
  client: EngineClient,
  sae: SaeRecord,
  options: Pick<MineOptions, 'provider' | 'threads'>,
): Promise<LoadedSae> {
  const loaded = await client.loadSae({
    source: { kind: 'path', path: sae.path, options: loadOptionsOf(sae) },
    providers: options.provider ?? 'auto',
    // import validated the weights; checkSaeHashes below proves they are the same bytes
    encoderOnly: true,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  });
  checkSaeHashes(sae, loaded.source.files);
  return loaded;
}

/** A delphi corpus: features were encoded when the cache was made, so no engine runs. */
async function mineDelphiCorpus(
  project: Project,
  sae: SaeRecord,
  corpus: CorpusRecord,
  o: { top: number; scheme: QuantileScheme; started: number; options: MineOptions },
): Promise<MineSummary> {
  const r = await mineDelphi(project, sae, corpus, {
    top: o.top,
    scheme: o.scheme,
    ...(o.options.checkpointMs !== undefined ? { checkpointMs: o.options.checkpointMs } : {}),
    ...(o.options.listener ? { listener: o.options.listener } : {}),
    ...(o.options.info ? { info: o.options.info } : {}),
    ...(o.options.runner ? { runner: o.options.runner } : {}),
    ...(o.options.onWriteStep ? { onWriteStep: o.options.onWriteStep } : {}),
  });
  o.options.info?.(`mine: ${DELPHI_PROVIDER.provider}: ${DELPHI_PROVIDER.reason}`);
  return {
    jobId: r.jobId,
    state: r.state,
    sae: sae.name,
    corpus: corpus.name,
    tokens: r.tokens,
    features: sae.dSae,
    alive: r.alive,
    examples: r.examples,
    provider: DELPHI_PROVIDER.provider,
    providerReason: DELPHI_PROVIDER.reason,
    k: 0,
    scheme: o.scheme,
    resumedFromTokens: r.resumedFrom,
    seconds: (Date.now() - o.started) / 1000,
    phases: { loadSeconds: 0, passSeconds: r.passSeconds, writeSeconds: r.writeSeconds, lockSeconds: r.lockSeconds },
  };
}

/** 1 for each image row of the batch, 0 for text rows. */
function imageFlags(batch: Batch): Float32Array {
  const flags = new Float32Array(batch.n);
  for (let r = 0; r < batch.n; r++) if (batch.kind[r] === ROW_IMAGE) flags[r] = 1;
  return flags;
}

/** Batches in corpus order from a position; a batch never spans two shards. */
function* streamBatches(
  shards: ShardRecord[],
  dIn: number,
  size: number,
  from: Position,
  plan: ShardPlan | null,
): Generator<Batch> {
  for (let i = from.shard; i < shards.length; i++) {
    // A shard's pass opens only the files that hold its documents (a document never spans two files).
    if (plan && !(shards[i].layout.segments ?? []).some((seg) => plan.documents.has(seg.doc))) continue;
    const filter: RowFilter | undefined = plan
      ? { documents: plan.documents, contentBefore: plan.contentBefore[i] }
      : undefined;
    const reader = new DenseShardReader(shards[i], dIn);
    try {
      let row = i === from.shard ? from.row : 0;
      for (;;) {
        const batch = reader.nextBatch(row, size, i, filter);
        if (!batch) break;
        row = batch.nextRow;
        yield batch;
      }
    } finally {
      reader.close();
    }
  }
}
