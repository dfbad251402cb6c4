import path from 'node:path';
import type { ProviderPreference } from '../../engine/session';
import type { MethodInput, SweepListing } from '../../contract';
import { classList } from '../../steer/prompts-file';
import { parseKValues, parseShard } from '../../steer/sweep-spec';
import { AppError } from '../../util/errors';
import { isMineShardFolder } from '../../mining/mine-shard';
import { callJob } from '../job-call';
import { callAsResearcher, withNewOrExistingProject, withProject } from '../project-session';
import { intOption, stringOption, type Command, PROVIDER_OPTION, providerOption } from '../command';
import {
  DECODING_OPTIONS,
  PRECISION_OPTION,
  parseMethod,
  parsePositions,
  parsePrecision,
  parseSampling,
  SAE_CLAMP_OPTIONS,
} from './generate';

export const sweepCommand: Command = {
  name: 'sweep',
  summary:
    "one generation per (prompt, k) steered at layer L (h += k*v by default), each with its KL strength, into the project's generations (resumable; Ctrl-C cancels; --shard for job arrays)",
  usage:
    'sightline sweep --project DIR --model NAME (--vector NAME | --sae NAME --feature N) --layer L [--method add|ablate|cap|clamp] --k a:b:n (--prompts FILE | --images DIR|CSV|IMAGE [--prompt TEXT] [--source-class A] [--target-class B] [--distractors C;D]) [--positions prompt] [--tokens 100] [--greedy | --temperature T [--top-p P] [--seed S]] [--chat] [--shard i/n [--out DIR]] [--batch 8] [--provider auto|cuda|cpu] [--precision fp32|fp16|int8|int4]',
  options: {
    project: { type: 'string', required: true, description: 'project folder (holds the model and the vector)' },
    model: { type: 'string', required: true, description: 'model name (see import-model)' },
    vector: { type: 'string', description: 'vector name (see vector import / vector from-sae); add, ablate, cap' },
    ...SAE_CLAMP_OPTIONS,
    method: {
      type: 'string',
      description: 'add (default: h += k*v), ablate (no --k), cap (h.v at most k) or clamp (SAE feature set to k)',
    },
    layer: {
      type: 'string',
      required: true,
      description: 'steer the residual stream entering block L (transformers hidden_states[L])',
    },
    k: {
      type: 'string',
      description: 'a:b:n (n values from a to b inclusive), a list like 0,5,10, or one number; negative as -3:3:7',
    },
    prompts: {
      type: 'string',
      description:
        'one prompt per line, or .csv/.jsonl with a prompt column (and optional source_class, target_class, distractors)',
    },
    images: {
      type: 'string',
      description:
        'LLaVA-NeXT: a folder with one folder of images per class, a CSV (image, document, label|class, target_class, distractors) or one image file; one row per image',
    },
    prompt: {
      type: 'string',
      description: 'with --images: the prompt for every image (default "What is shown in this image?")',
    },
    'target-class': {
      type: 'string',
      description:
        "with --images: the class steered towards (default: a CSV row's target_class, or a probe vector's B)",
    },
    'source-class': {
      type: 'string',
      description: 'with --images: the class of each image whose folder or CSV row gives none (one image file)',
    },
    distractors: {
      type: 'string',
      description:
        "with --images: ';'-separated distractor classes where a CSV row names none (default: two other classes of the images)",
    },
    positions: {
      type: 'string',
      default: 'prompt',
      description: 'prompt (default, the paper), generated, all, or token indices like 0,1,4',
    },
    tokens: {
      type: 'string',
      default: '100',
      description: 'tokens per generation, exactly N (no stop at EOS, as in the paper)',
    },
    ...DECODING_OPTIONS,
    chat: { type: 'boolean', description: "wrap each prompt as one user message in the model's chat template" },
    shard: {
      type: 'string',
      description: 'i/n (0-based): run block i of n of the (prompt, k) grid into its own project folder',
    },
    out: { type: 'string', description: "the shard's project folder (default DIR/shards/<i>-of-<n>)" },
    batch: { type: 'string', default: '8', description: 'rows per decode (k values of one prompt decoded together)' },
    provider: PROVIDER_OPTION,
    precision: PRECISION_OPTION,
  },
  run: async (options, output) => {
    const provider = providerOption(options);
    if (options.out !== undefined && options.shard === undefined)
      throw new AppError('invalid_input', '--out needs --shard (an unsharded sweep writes into --project)');
    const method = parseMethod(options);
    if (options.k === undefined && method !== 'ablate')
      throw new AppError('invalid_input', '--k is required (a:b:n, a list like 0,5,10, or one number)');
    if ((options.prompts === undefined) === (options.images === undefined))
      throw new AppError('invalid_input', 'give --prompts FILE or --images DIR|CSV|IMAGE (one of them)');
    const sampling = parseSampling(options);
    const input: MethodInput<'sweeps.run'> = {
      model: stringOption(options, 'model'),
      method,
      ...(options.vector !== undefined ? { vector: stringOption(options, 'vector') } : {}),
      ...(options.sae !== undefined
        ? { sae: stringOption(options, 'sae'), feature: intOption(options, 'feature') }
        : {}),
      ...(sampling ? { sampling } : {}),
      layer: intOption(options, 'layer'),
      ks: options.k === undefined ? [] : parseKValues(stringOption(options, 'k')),
      ...(options.prompts !== undefined ? { promptsFile: path.resolve(stringOption(options, 'prompts')) } : {}),
      ...(options.images !== undefined ? { images: path.resolve(stringOption(options, 'images')) } : {}),
      ...(options.prompt !== undefined ? { imagePrompt: stringOption(options, 'prompt') } : {}),
      ...(options['target-class'] !== undefined ? { targetClass: stringOption(options, 'target-class') } : {}),
      ...(options['source-class'] !== undefined ? { sourceClass: stringOption(options, 'source-class') } : {}),
      ...(options.distractors !== undefined ? { distractors: classList(stringOption(options, 'distractors')) } : {}),
      positions: parsePositions(stringOption(options, 'positions')),
      tokens: intOption(options, 'tokens'),
      chat: options.chat === true,
      ...(options.shard !== undefined ? { shard: parseShard(stringOption(options, 'shard')) } : {}),
      ...(options.out !== undefined ? { out: path.resolve(stringOption(options, 'out')) } : {}),
      batch: intOption(options, 'batch'),
      provider: provider as ProviderPreference,
      precision: parsePrecision(stringOption(options, 'precision')),
    };
    const summary = await withProject(stringOption(options, 'project'), (project) =>
      callJob(project, 'sweeps.run', input, 'sweep', 'generations'),
    );
    output.result(summary, () =>
      summary.state === 'cancelled'
        ? `sweep ${summary.sweepId}: cancelled (job ${summary.jobId}); the generations written so far stay, and the same command resumes`
        : `sweep ${summary.sweepId}: ${summary.generated} generated, ${summary.skipped} already there, ${summary.cells} cells${summary.shard ? ` (shard ${summary.shard})` : ''} in ${summary.projectDir}, ${summary.seconds.toFixed(1)} s on ${summary.provider ?? '-'} (job ${summary.jobId})`,
    );
  },
};

/** One sweep as `sweep list` prints it: what a campaign's `--sweep` needs to tell sweeps apart. */
function describeSweep(sweep: SweepListing): string {
  const steer =
    sweep.vector !== null ? `vector "${sweep.vector}"` : `SAE "${sweep.sae?.name}" feature ${sweep.sae?.feature}`;
  const rows = sweep.images !== null ? `${sweep.images} images` : `${sweep.prompts} prompts`;
  const ks = sweep.ks.length > 0 ? ` k ${sweep.ks.join(',')}` : '';
  const cells = sweep.prompts * Math.max(1, sweep.ks.length);
  return `${sweep.sweepId}  ${sweep.method} ${steer} at layer ${sweep.layer}${ks}, ${rows}, ${sweep.tokens} tokens, model "${sweep.model}": ${sweep.generations} of ${cells} generations`;
}

export const sweepListCommand: Command = {
  name: 'sweep list',
  summary: "the project's sweeps, newest first, with their ids (for campaign create --sweep)",
  usage: 'sightline sweep list --project DIR',
  options: { project: { type: 'string', required: true, description: 'project folder' } },
  run: async (options, output) => {
    const sweeps = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'sweeps.list', {}),
    );
    output.result(sweeps, () =>
      sweeps.length === 0 ? 'No sweeps; run one with `sightline sweep`.' : sweeps.map(describeSweep).join('\n'),
    );
  },
};

export const mergeCommand: Command = {
  name: 'merge',
  summary:
    "combine a sharded sweep's folders (generations) or a sharded mine's folders (features and examples, exactly as one unsharded mine) into one project (idempotent; refuses shards that do not belong together)",
  usage: 'sightline merge --into DIR SHARD_DIR...',
  positionals: 'SHARD_DIR...',
  options: {
    into: { type: 'string', required: true, description: 'the project to merge into (created when missing)' },
  },
  run: async (options, output) => {
    const shards = (options._ ?? []) as string[];
    const mineShards = shards.filter(isMineShardFolder);
    if (mineShards.length > 0) {
      if (mineShards.length < shards.length)
        throw new AppError(
          'invalid_input',
          `merge: ${shards.find((s) => !isMineShardFolder(s))} is not a mine shard but ${mineShards[0]} is; merge sweep and mine shards separately`,
        );
      await withProject(stringOption(options, 'into'), async (project) => {
        const summary = await callAsResearcher(project, 'mine.merge', { shards });
        output.result(summary, () =>
          summary.alreadyMerged
            ? `merge: SAE ${summary.sae} × corpus ${summary.corpus}: these ${summary.shards} mine shards are already merged; nothing changed`
            : `merge: SAE ${summary.sae} × corpus ${summary.corpus}: ${summary.shards} mine shards, ${summary.tokens} tokens, ${summary.alive}/${summary.features} features alive, ${summary.examples} examples (job ${summary.jobId})`,
        );
      });
      return;
    }
    if (shards.length === 0) throw new AppError('invalid_input', 'merge: name at least one shard folder');
    const summary = await withNewOrExistingProject(stringOption(options, 'into'), (project) =>
      callAsResearcher(project, 'sweeps.merge', { shards }),
    );
    output.result(
      summary,
      () =>
        `merge: sweep ${summary.sweepId}: ${summary.added} generations added, ${summary.alreadyPresent} already there; ${summary.present}/${summary.cells} cells present${summary.present < summary.cells ? ' (some shards are missing or unfinished)' : ''}`,
    );
  },
};
