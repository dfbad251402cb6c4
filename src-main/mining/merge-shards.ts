// `sightline merge --into PROJECT MINE_SHARD_DIRS…` (issue 14): the folders `mine --shard i/n` wrote,
// added up exactly (FeatureAccumulators.mergeFrom) and written into the project as one unsharded mine
// of the same SAE over the same corpus would write them: the chosen examples are re-encoded and
// features + examples swapped in (write-results.ts), so the feature pages work unchanged. Every shard
// is read and checked first; shards of different mines, a shard missing or given twice, or a project
// whose SAE or corpus is not the one mined are refused naming the field, and nothing is written.
// Merging the same shards again finds their key in the features' stats and changes nothing.
import crypto from 'node:crypto';
import { EngineClient } from '../engine/client';
import type { ProgressListener } from '../jobs/runner';
import { JobRunner } from '../jobs/runner';
import type { Project } from '../project/project';
import { checkCorpusFilesPresent } from '../project/references';
import { checkSaeFilesPresent } from '../importers/sae-import';
import { getCorpus } from '../store/corpora';
import { miningStatsOfSae } from '../store/features';
import { getSaeByName } from '../store/saes';
import { AppError } from '../util/errors';
import { computeExampleActivations } from './example-acts';
import { loadEncoder, type MineOptions } from './mine';
import { corpusSha256, readShardFolder, type MineShardContents, type MineShardSettings } from './mine-shard';
import type { QuantileScheme } from './select';
import { writeMiningResults } from './write-results';

// The summary's shape is the contract's (mine.merge), declared once there.
import type { MineMergeSummary } from '../contract/jobs';
export type { MineMergeSummary } from '../contract/jobs';

export type MergeMineOptions = Pick<MineOptions, 'provider' | 'threads' | 'runner' | 'onWriteStep' | 'info'> & {
  listener?: ProgressListener;
};

/** Refuses shards that do not make up one whole mine, naming the field (or the shard) that differs. */
export function checkShardsMatch(shards: readonly MineShardContents[]): void {
  if (shards.length === 0) throw new AppError('invalid_input', 'merge: name at least one shard folder');
  const first = shards[0];
  for (const other of shards.slice(1)) {
    for (const field of Object.keys(first.record.settings) as (keyof MineShardSettings)[]) {
      const a = JSON.stringify(first.record.settings[field]);
      const b = JSON.stringify(other.record.settings[field]);
      if (a !== b)
        throw new AppError(
          'invalid_input',
          `mine shards of different mines: ${field} is ${a} in ${first.dir} but ${b} in ${other.dir}`,
          { field, shards: [first.dir, other.dir] },
        );
    }
  }
  const count = first.record.settings.shards;
  const byIndex = new Map<number, string>();
  for (const s of shards) {
    const twice = byIndex.get(s.record.index);
    if (twice !== undefined)
      throw new AppError('invalid_input', `mine shard ${s.record.shard} is given twice: ${twice} and ${s.dir}`, {
        field: 'shard',
      });
    byIndex.set(s.record.index, s.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new AppError(
      'invalid_input',
      `mine shards ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merge needs all ${count} (run \`sightline mine --shard i/${count}\` for them)`,
      { field: 'shard', missing },
    );
}

/** The SAE and corpus the shards were mined from must be the project's, byte for byte. */
function checkProjectMatches(project: Project, settings: MineShardSettings, dir: string) {
  const sae = getSaeByName(project, settings.sae);
  const corpus = getCorpus(project, settings.corpus);
  const found: Partial<Record<keyof MineShardSettings, unknown>> = {
    saeId: sae.id,
    saeSha256: sae.sha256,
    dSae: sae.dSae,
    corpusId: corpus.id,
    corpusSha256: corpusSha256(corpus),
  };
  for (const [field, value] of Object.entries(found)) {
    const recorded = settings[field as keyof MineShardSettings];
    if (JSON.stringify(recorded) !== JSON.stringify(value))
      throw new AppError(
        'invalid_input',
        `mine shards do not belong to ${project.dir}: ${field} is ${JSON.stringify(recorded)} in ${dir} but ${JSON.stringify(value)} in the project`,
        { field },
      );
  }
  return { sae, corpus };
}

export async function mergeMineShards(
  project: Project,
  shardDirs: readonly string[],
  options: MergeMineOptions = {},
): Promise<MineMergeSummary> {
  // Every shard is read and checked before anything is written.
  const shards = shardDirs.map(readShardFolder).sort((a, b) => a.record.index - b.record.index);
  checkShardsMatch(shards);
  const settings = shards[0].record.settings;
  const { sae, corpus } = checkProjectMatches(project, settings, shards[0].dir);
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify(settings))
    .update(shards.map((s) => s.record.arraysSha256).join('\n'))
    .digest('hex');
  const providers = [...new Set(shards.map((s) => s.record.provider))];
  const summary = {
    sae: sae.name,
    corpus: corpus.name,
    shards: shards.length,
    tokens: shards.reduce((n, s) => n + s.record.tokens, 0),
    features: sae.dSae,
    provider: providers.join(', '),
    key,
  };
  const previous = miningStatsOfSae(project.db, sae.id);
  const before = previous ? (JSON.parse(previous) as { mergedShards?: { key?: string } }) : undefined;
  if (before?.mergedShards?.key === key) {
    return { ...summary, alive: aliveOf(shards), examples: 0, alreadyMerged: true, jobId: null, state: 'done' };
  }
  checkSaeFilesPresent(project, sae);
  checkCorpusFilesPresent(project, corpus);

  const acc = shards[0].acc;
  for (const s of shards.slice(1)) acc.mergeFrom(s.acc);
  const select = {
    scheme: settings.scheme as QuantileScheme,
    quantiles: settings.quantiles,
    perQuantile: settings.perQuantile,
    modalityShare: settings.modalityShare,
  };
  const runner = options.runner ?? new JobRunner();
  const client = EngineClient.start();
  try {
    const outcome = await runner.run(
      {
        db: project.db,
        dir: project.dir,
        kind: 'mine',
        params: {
          sae: sae.id,
          corpus: corpus.id,
          top: settings.top,
          k: settings.k,
          scheme: settings.scheme,
          merge: key,
        },
        ...(options.listener ? { listener: options.listener } : {}),
      },
      async (job) => {
        job.progress(acc.tokens, acc.tokens, `merging ${shards.length} shards: writing features and examples`);
        const loaded = await loadEncoder(client, sae, options);
        options.info?.(`merge: re-encoding examples on ${loaded.provider.provider} (${loaded.provider.reason})`);
        return writeMiningResults(
          project,
          sae,
          corpus.name,
          acc,
          select,
          job,
          {
            provider: summary.provider,
            providerReason: shards[0].record.providerReason,
            k: settings.k,
            countsExact: settings.countsExact,
            mergedShards: { count: shards.length, key },
          },
          (wanted, emit, checkCancelled) =>
            computeExampleActivations(project.db, client, loaded.saeId, sae.dIn, corpus, wanted, emit, checkCancelled),
          options.onWriteStep,
        );
      },
    );
    return {
      ...summary,
      alive: outcome.result?.alive ?? 0,
      examples: outcome.result?.examples ?? 0,
      alreadyMerged: false,
      jobId: outcome.jobId,
      state: outcome.state,
    };
  } finally {
    await client.close();
  }
}

function aliveOf(shards: readonly MineShardContents[]): number {
  const d = shards[0].record.settings.dSae;
  let alive = 0;
  for (let f = 0; f < d; f++) if (shards.some((s) => s.acc.fires[f] > 0)) alive++;
  return alive;
}
