// `mine` for a corpus imported from a delphi sparse cache: the features are already encoded, so the
// locations (sequence, position, latent) and activations feed the same accumulators directly (no
// engine, no re-encoding), split by split, in bounded memory. A second pass over the cache collects
// the per-token values of the chosen examples. Statistics, sampling and the write are shared with the
// dense path, so a delphi corpus and the same activations mined densely give the same tables.
// Every delphi row is a text token; only positive activations count as firings.
import { checkCorpusFilesPresent } from '../project/references';
import { documentIdsOfCorpus, type CorpusRecord } from '../store/corpora';
import type { SaeRecord } from '../store/saes';
import { JobRunner, type ProgressListener } from '../jobs/runner';
import type { Project } from '../project/project';
import { encodeActs } from '../store/acts-json';
import { AppError } from '../util/errors';
import { FeatureAccumulators } from './accumulators';
import { readDelphiSplit, type DelphiBounds } from './delphi-reader';
import { DEFAULT_SELECT, type QuantileScheme } from './select';
import { writeMiningResults, type FillExamples, type WriteStepListener, type WrittenResults } from './write-results';

/** No engine runs on a delphi corpus: what the summary and every feature's stats_json say instead. */
export const DELPHI_PROVIDER = {
  provider: 'none',
  reason: 'delphi cache: features were encoded when the cache was made and are read without re-encoding',
};

export interface DelphiLayout {
  latentStart: number;
  latentEnd: number;
  sequences: number;
  seqLen: number;
}

export interface MineDelphiOptions {
  top: number;
  scheme: QuantileScheme;
  checkpointMs?: number;
  listener?: ProgressListener;
  info?: (line: string) => void;
  runner?: JobRunner;
  onWriteStep?: WriteStepListener;
}

export interface MineDelphiResult {
  jobId: number;
  state: 'done' | 'cancelled';
  tokens: number;
  alive: number;
  examples: number;
  resumedFrom: number | null;
  passSeconds: number;
  writeSeconds: number;
  /** seconds the write held project.sqlite's write lock */
  lockSeconds: number;
}

function layoutOf(corpus: CorpusRecord, i: number): DelphiLayout {
  const l = corpus.shards[i].layout as unknown as DelphiLayout;
  return l;
}

/** What split i's locations may point at; the reader refuses the rest (the file may have changed since import). */
function boundsOf(corpus: CorpusRecord, i: number): DelphiBounds {
  const l = layoutOf(corpus, i);
  return { sequences: l.sequences, seqLen: l.seqLen, latents: l.latentEnd - l.latentStart + 1 };
}

/** documents.id of each delphi sequence, in sequence order (the importer inserts them in order). */
function sequenceDocuments(project: Project, corpus: CorpusRecord, sequences: number): Int32Array {
  const ids = documentIdsOfCorpus(project.db, corpus.id);
  if (ids.length !== sequences)
    throw new AppError(
      'internal',
      `corpus "${corpus.name}": ${ids.length} documents, expected ${sequences} (one per cached sequence)`,
    );
  return Int32Array.from(ids);
}

export async function mineDelphi(
  project: Project,
  sae: SaeRecord,
  corpus: CorpusRecord,
  options: MineDelphiOptions,
): Promise<MineDelphiResult> {
  const first = layoutOf(corpus, 0);
  const { sequences, seqLen } = first;
  const width = Math.max(...corpus.shards.map((_, i) => layoutOf(corpus, i).latentEnd)) + 1;
  if (sae.dSae < width)
    throw new AppError(
      'invalid_input',
      `SAE "${sae.name}" has d_sae ${sae.dSae} but the cache of corpus "${corpus.name}" has latents up to ${width - 1}`,
    );
  checkCorpusFilesPresent(project, corpus);
  const docs = sequenceDocuments(project, corpus, sequences);
  const tokens = sequences * seqLen;
  const settings = { scheme: options.scheme, ...DEFAULT_SELECT };
  const params = {
    sae: sae.id,
    corpus: corpus.id,
    source: 'delphi',
    top: options.top,
    scheme: options.scheme,
    ...DEFAULT_SELECT,
  };
  const runner = options.runner ?? new JobRunner();
  const timing = { passSeconds: 0, writeSeconds: 0, lockSeconds: 0 };
  const outcome = await runner.run<{ split: number }, WrittenResults>(
    {
      db: project.db,
      dir: project.dir,
      kind: 'mine',
      params,
      ...(options.listener ? { listener: options.listener } : {}),
    },
    async (job) => {
      const passStarted = performance.now();
      let acc: FeatureAccumulators;
      let from = 0;
      if (job.resumed?.blob) {
        acc = FeatureAccumulators.restore(sae.dSae, options.top, job.resumed.blob);
        from = job.resumed.state.split;
        options.info?.(`mine: resuming job ${job.id} from split ${from + 1}/${corpus.shards.length}`);
      } else {
        acc = new FeatureAccumulators(sae.dSae, options.top);
      }
      const total = corpus.shards.reduce((n, s) => n + s.rows, 0);
      let done = corpus.shards.slice(0, from).reduce((n, s) => n + s.rows, 0);
      for (let i = from; i < corpus.shards.length; i++) {
        const start = layoutOf(corpus, i).latentStart;
        for (const c of readDelphiSplit(corpus.shards[i].path, boundsOf(corpus, i))) {
          for (let j = 0; j < c.n; j++) {
            const v = c.value[j];
            if (!(v > 0)) continue;
            const b = c.sequence[j];
            acc.addFiring(start + c.latent[j], v, docs[b], false, b * seqLen + c.position[j]);
          }
          done += c.n;
          job.progress(done, total);
          if (job.cancelled) job.throwIfCancelled();
        }
        // Per split: the token counters are set at the end, so a checkpoint holds firings only.
        if (i + 1 < corpus.shards.length) job.checkpoint({ split: i + 1 }, done, acc.arrays());
      }
      acc.tokens = tokens;
      acc.textTokens = tokens;
      acc.imageTokens = 0;
      timing.passSeconds = (performance.now() - passStarted) / 1000;
      job.progress(total, total, 'writing features and examples');
      const writeStarted = performance.now();
      const fill: FillExamples = async (wanted, emit, checkCancelled) =>
        collectExamples(corpus, docs, seqLen, wanted, emit, checkCancelled);
      const run = {
        provider: DELPHI_PROVIDER.provider,
        providerReason: DELPHI_PROVIDER.reason,
        k: null,
        source: 'delphi',
      };
      const written = await writeMiningResults(
        project,
        sae,
        corpus.name,
        acc,
        settings,
        job,
        run,
        fill,
        options.onWriteStep,
      );
      timing.writeSeconds = (performance.now() - writeStarted) / 1000;
      timing.lockSeconds = written.lockSeconds;
      return written;
    },
  );
  return {
    jobId: outcome.jobId,
    state: outcome.state,
    tokens: outcome.state === 'done' ? tokens : 0,
    alive: outcome.result?.alive ?? 0,
    examples: outcome.result?.examples ?? 0,
    resumedFrom: outcome.resumedFrom,
    ...timing,
  };
}

/** Growable parallel arrays of (pair, position, value). */
class Entries {
  pair = new Int32Array(1024);
  pos = new Int32Array(1024);
  val = new Float32Array(1024);
  n = 0;
  push(pair: number, pos: number, val: number): void {
    if (this.n === this.pair.length) {
      const grow = <A extends Int32Array | Float32Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      this.pair = grow(this.pair);
      this.pos = grow(this.pos);
      this.val = grow(this.val);
    }
    this.pair[this.n] = pair;
    this.pos[this.n] = pos;
    this.val[this.n] = val;
    this.n++;
  }
}

/**
 * Second pass: every firing of a chosen (feature, sequence) pair, bucketed per pair, then one
 * token_acts_json per example. Memory is proportional to the chosen examples' firings only.
 */
async function collectExamples(
  corpus: CorpusRecord,
  docs: Int32Array,
  seqLen: number,
  wanted: Parameters<FillExamples>[0],
  emit: Parameters<FillExamples>[1],
  checkCancelled: () => void,
): Promise<void> {
  const sequences = docs.length;
  const sequenceOf = new Map<number, number>();
  docs.forEach((id, b) => sequenceOf.set(id, b));
  const pairIndex = new Map<number, number>();
  for (const [doc, examples] of wanted) {
    const b = sequenceOf.get(doc)!;
    for (const e of examples) pairIndex.set(e.feature * sequences + b, pairIndex.size);
  }
  const entries = new Entries();
  for (let i = 0; i < corpus.shards.length; i++) {
    checkCancelled();
    const start = layoutOf(corpus, i).latentStart;
    for (const c of readDelphiSplit(corpus.shards[i].path, boundsOf(corpus, i))) {
      for (let j = 0; j < c.n; j++) {
        const v = c.value[j];
        if (!(v > 0)) continue;
        const p = pairIndex.get((start + c.latent[j]) * sequences + c.sequence[j]);
        if (p !== undefined) entries.push(p, c.position[j], v);
      }
    }
  }
  // Counting sort of the entries by pair.
  const offsets = new Int32Array(pairIndex.size + 1);
  for (let i = 0; i < entries.n; i++) offsets[entries.pair[i] + 1]++;
  for (let p = 0; p < pairIndex.size; p++) offsets[p + 1] += offsets[p];
  const order = new Int32Array(entries.n);
  const cursor = offsets.slice(0, pairIndex.size);
  for (let i = 0; i < entries.n; i++) order[cursor[entries.pair[i]]++] = i;

  const tokenActs = new Float32Array(seqLen);
  for (const [doc, examples] of wanted) {
    const b = sequenceOf.get(doc)!;
    for (const e of examples) {
      const p = pairIndex.get(e.feature * sequences + b)!;
      tokenActs.fill(0);
      let max = 0;
      for (let k = offsets[p]; k < offsets[p + 1]; k++) {
        const i = order[k];
        const v = entries.val[i];
        tokenActs[entries.pos[i]] = v;
        if (v > max) max = v;
      }
      emit({
        doc,
        feature: e.feature,
        tag: e.tag,
        max,
        tokenActsJson: encodeActs(tokenActs),
        patchActsJson: null,
        patchRows: null,
        patchCols: null,
      });
    }
  }
}
