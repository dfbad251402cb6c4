// Writes one mining run: every feature row of the SAE (dead ones too) and the chosen examples with
// their activation arrays. They are staged in the job's scratch file while the examples are
// re-encoded, with no lock on project.sqlite, then swapped in by one short transaction (staging.ts):
// a crash or a cancel before it commits leaves the previous results (or none) exactly as they were.
import type { SaeRecord } from '../store/saes';
import type { JobContext } from '../jobs/runner';
import { jobFile } from '../jobs/checkpoint-files';
import type { Project } from '../project/project';
import { HIST_BINS, RESERVOIR, type FeatureAccumulators } from './accumulators';
import type { ExampleActivations, WantedExample } from './example-acts';
import { chooseExamples, histogramOf, modalityOf, type SelectSettings } from './select';
import { MiningStage } from '../store/staging';

export type ExampleTag = { bucket: string; rank: number };

/**
 * Fills the activation arrays of the chosen examples: re-encoding them (dense corpora,
 * computeExampleActivations) or reading them from the cache (delphi corpora).
 */
export type FillExamples = (
  wanted: Map<number, WantedExample<ExampleTag>[]>,
  emit: (e: ExampleActivations<ExampleTag>) => void,
  checkCancelled: () => void,
) => Promise<void>;

/**
 * Called in the write phase between groups of example documents and once more just before the
 * swap, while the project's write lock is free; a cancel requested here takes effect at once.
 */
export type WriteStepListener = (step: { examplesStaged: number; beforeSwap: boolean }) => void;

/** The engine that encoded the run, and why: recorded in every feature's stats_json. */
export interface MiningRun {
  provider: string;
  providerReason: string;
  k: number | null;
  /** the engine counted every firing (ReLU, JumpReLU, gated): tokensAtK then says how many went past k */
  countsExact?: boolean;
  source?: string;
  /** `sightline merge` of `mine --shard` folders: how many, and the key that makes merging them again a no-op */
  mergedShards?: { count: number; key: string };
}

export interface WrittenResults {
  examples: number;
  alive: number;
  /** seconds the swap held project.sqlite's write lock */
  lockSeconds: number;
}

export async function writeMiningResults(
  project: Project,
  sae: SaeRecord,
  corpusName: string,
  acc: FeatureAccumulators,
  settings: SelectSettings,
  job: JobContext<unknown>,
  run: MiningRun,
  fillExamples: FillExamples,
  onWriteStep?: WriteStepListener,
): Promise<WrittenResults> {
  const wanted = new Map<number, WantedExample<ExampleTag>[]>();
  let alive = 0;
  for (let f = 0; f < sae.dSae; f++) {
    if (acc.fires[f] > 0) alive++;
    for (const e of chooseExamples(acc, f, settings)) {
      const list = wanted.get(e.doc);
      const example = { feature: f, tag: { bucket: e.bucket, rank: e.rank } };
      if (list) list.push(example);
      else wanted.set(e.doc, [example]);
    }
  }
  const stats = JSON.stringify({
    corpus: corpusName,
    job: job.id,
    quantileScheme: settings.scheme,
    quantiles: settings.quantiles,
    perQuantile: settings.perQuantile,
    modalityShare: settings.modalityShare,
    // The split compares raw firing counts; these let a reader compare rates per token instead.
    imageTokens: acc.imageTokens,
    textTokens: acc.textTokens,
    histogram: `${HIST_BINS} equal-width bins, power-of-two width`,
    sampling: `bottom-${RESERVOIR} hash sample per histogram bin`,
    k: run.k,
    // Tokens whose k-th value was still positive: their firings beyond the top k are in the counts,
    // density and modality split (the engine counts every firing) but not in the histogram or samples.
    tokensAtK: run.countsExact ? acc.atK : null,
    provider: run.provider,
    providerReason: run.providerReason,
    ...(run.source ? { source: run.source } : {}),
    ...(run.mergedShards ? { mergedShards: run.mergedShards } : {}),
  });

  const stage = new MiningStage(jobFile(project.dir, job.id, 'staging.sqlite'));
  try {
    for (let f = 0; f < sae.dSae; f++) {
      const fires = acc.fires[f];
      stage.addFeature([
        f,
        fires,
        acc.tokens,
        acc.tokens > 0 ? fires / acc.tokens : 0,
        acc.max[f],
        acc.imageFires[f],
        acc.textFires[f],
        modalityOf(acc.imageFires[f], acc.textFires[f], settings.modalityShare),
        JSON.stringify(histogramOf(acc, f)),
        stats,
      ]);
    }
    let examples = 0;
    const step = (beforeSwap: boolean) => {
      onWriteStep?.({ examplesStaged: examples, beforeSwap });
      job.throwIfCancelled();
    };
    await fillExamples(
      wanted,
      (e) => {
        stage.addExample([
          e.feature,
          e.doc,
          e.tag.bucket,
          e.tag.rank,
          e.max,
          e.tokenActsJson,
          e.patchActsJson,
          e.patchRows,
          e.patchCols,
        ]);
        examples++;
      },
      () => step(false),
    );
    step(true);
    const { lockSeconds } = stage.swapInto(project.db, sae.id);
    return { examples, alive, lockSeconds };
  } finally {
    stage.discard();
  }
}
