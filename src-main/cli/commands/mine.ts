import { EventBus } from '../../api/events';
import type { JobProgressEvent } from '../../contract/types';
import { AppError } from '../../util/errors';
import { callAsResearcher, withProject } from '../project-session';
import { intOption, stringOption, type Command, PROVIDER_OPTION, providerOption } from '../command';
import { parseShard } from '../../util/shard-slice';

export const mineCommand: Command = {
  name: 'mine',
  summary: 'mine every feature of an SAE over a corpus in one pass (resumes a crashed run; Ctrl-C cancels)',
  usage:
    'sightline mine --project DIR --sae NAME --corpus NAME [--top 20] [--provider auto|cuda|cpu] [--batch 2048] [--scheme equal-count|equal-width] [--k 64] [--shard i/n [--out DIR]]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    sae: { type: 'string', required: true, description: 'SAE name (see import-sae)' },
    corpus: { type: 'string', required: true, description: 'corpus name (see import-activations)' },
    top: { type: 'string', default: '20', description: 'top documents per feature' },
    provider: PROVIDER_OPTION,
    batch: { type: 'string', default: '2048', description: 'tokens per encoder batch' },
    scheme: {
      type: 'string',
      default: 'equal-count',
      description: 'quantile buckets: equal-count (delphi) or equal-width (SAEDashboard)',
    },
    k: { type: 'string', description: 'features kept per token for non-TopK SAEs (default 64; TopK SAEs use their k)' },
    threads: { type: 'string', description: 'ORT intra-op threads (default: all cores)' },
    'checkpoint-ms': { type: 'string', description: 'checkpoint interval in ms (default 30000)' },
    shard: {
      type: 'string',
      description:
        'mine block i of n of the documents (0-based, as SLURM_ARRAY_TASK_ID) into a shard folder; `sightline merge` adds the n folders up',
    },
    out: { type: 'string', description: "the shard's folder (default DIR/mine-shards/<sae>/<i>-of-<n>)" },
  },
  run: async (options, output) => {
    const provider = providerOption(options);
    const scheme = stringOption(options, 'scheme');
    if (scheme !== 'equal-count' && scheme !== 'equal-width')
      throw new AppError('invalid_input', `--scheme: expected equal-count or equal-width, got "${scheme}"`);
    if (options.out !== undefined && options.shard === undefined)
      throw new AppError('invalid_input', '--out needs --shard (an unsharded mine writes into --project)');
    const shard = options.shard !== undefined ? parseShard(stringOption(options, 'shard')) : undefined;
    await withProject(stringOption(options, 'project'), async (project) => {
      const events = new EventBus();
      let jobId: number | null = null;
      let lastMessage: string | null = null;
      events.subscribe((name, payload) => {
        if (name !== 'job.progress') return;
        const e = payload as JobProgressEvent;
        jobId = e.jobId;
        if (e.state !== 'running') return;
        // Before the first batch the event's message is the job's note (the engine's provider and why): printed once.
        if (e.done === 0) {
          if (e.message && e.message !== lastMessage) process.stderr.write(`mine: ${e.message}\n`);
          lastMessage = e.message ?? null;
          return;
        }
        const rate = e.ratePerSecond === null ? '?' : Math.round(e.ratePerSecond).toString();
        const eta = e.etaSeconds === null ? '?' : Math.round(e.etaSeconds).toString();
        process.stderr.write(
          `mine: ${e.done}/${e.total ?? '?'} tokens, ${rate} tok/s, ETA ${eta} s${e.message ? ` (${e.message})` : ''}\n`,
        );
      });
      // Ctrl-C goes through jobs.cancel: the mine stops after its current batch and writes nothing.
      const onSigint = () => {
        process.stderr.write('mine: cancelling after the current batch…\n');
        if (jobId !== null) void callAsResearcher(project, 'jobs.cancel', { jobId }).catch(() => {});
      };
      process.on('SIGINT', onSigint);
      try {
        const summary = await callAsResearcher(
          project,
          'mine.run',
          {
            sae: stringOption(options, 'sae'),
            corpus: stringOption(options, 'corpus'),
            top: intOption(options, 'top'),
            provider,
            batch: intOption(options, 'batch'),
            scheme,
            ...(options.k !== undefined ? { k: intOption(options, 'k') } : {}),
            ...(options.threads !== undefined ? { threads: intOption(options, 'threads') } : {}),
            ...(options['checkpoint-ms'] !== undefined ? { checkpointMs: intOption(options, 'checkpoint-ms') } : {}),
            ...(shard ? { shard } : {}),
            ...(options.out !== undefined ? { out: stringOption(options, 'out') } : {}),
          },
          events,
        );
        if (summary.state === 'cancelled') process.exitCode = 130;
        output.result(summary, () =>
          summary.state === 'cancelled'
            ? `mine: cancelled (job ${summary.jobId}); the project is unchanged`
            : summary.shard
              ? `mine: shard ${summary.shard}: ${summary.tokens} tokens, ${summary.alive}/${summary.features} features alive, accumulators in ${summary.shardDir} (merge the shards with \`sightline merge --into PROJECT DIRS...\`) in ${summary.seconds.toFixed(1)} s on ${summary.provider} (job ${summary.jobId})`
              : `mine: ${summary.tokens} tokens, ${summary.alive}/${summary.features} features alive, ${summary.examples} examples in ${summary.seconds.toFixed(1)} s on ${summary.provider} (job ${summary.jobId})`,
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  },
};
