import { EventBus } from '../../api/events';
import type { MethodInput } from '../../contract';
import { PRECISIONS, type Precision } from '../../contract/models';
import { AppError } from '../../util/errors';
import { callAsResearcher, withProject } from '../project-session';
import type { SteerMethod } from '../../steer/steer-build';
import {
  intOption,
  stringOption,
  type Command,
  type OptionSpec,
  type ParsedOptions,
  PROVIDER_OPTION,
  providerOption,
} from '../command';

const STEER_OPTIONS = ['layer', 'k', 'method', 'positions'] as const;

/** prompt | generated | all | a comma-separated list of 0-based token indices */
export function parsePositions(raw: string): 'prompt' | 'generated' | 'all' | number[] {
  if (raw === 'prompt' || raw === 'generated' || raw === 'all') return raw;
  const list = raw.split(',').map((s) => s.trim());
  if (list.length === 0 || list.some((s) => !/^\d+$/.test(s))) {
    throw new AppError(
      'invalid_input',
      `--positions: expected prompt, generated, all or a list of token indices like 0,1,4; got "${raw}"`,
    );
  }
  return list.map(Number);
}

/** --method add|ablate|cap|clamp (default add) */
export function parseMethod(options: ParsedOptions): SteerMethod {
  const method = stringOption(options, 'method') || 'add';
  if (method !== 'add' && method !== 'ablate' && method !== 'cap' && method !== 'clamp')
    throw new AppError('invalid_input', `--method: expected add, ablate, cap or clamp, got "${method}"`);
  if ((method === 'clamp') !== (options.sae !== undefined))
    throw new AppError(
      'invalid_input',
      method === 'clamp' ? '--method clamp needs --sae NAME --feature N' : '--sae is for --method clamp',
    );
  if ((options.sae === undefined) !== (options.feature === undefined))
    throw new AppError('invalid_input', '--sae and --feature go together (the SAE feature to clamp)');
  return method;
}

export function numberOption(options: ParsedOptions, name: string): number | undefined {
  if (options[name] === undefined) return undefined;
  const value = Number(options[name]);
  if (!Number.isFinite(value) || options[name] === '')
    throw new AppError('invalid_input', `--${name}: expected a number, got "${String(options[name])}"`);
  return value;
}

/** --temperature T [--top-p P] [--seed S]: sampling; none of them (or --greedy): greedy. */
export function parseSampling(options: ParsedOptions): MethodInput<'models.generate'>['sampling'] {
  const temperature = numberOption(options, 'temperature');
  if (temperature === undefined) {
    const stray = ['top-p', 'seed'].find((name) => options[name] !== undefined);
    if (stray) throw new AppError('invalid_input', `--${stray} needs --temperature (sampling)`);
    return undefined;
  }
  if (options.greedy === true) throw new AppError('invalid_input', '--greedy and --temperature: give one of them');
  const topP = numberOption(options, 'top-p');
  const seed = options.seed === undefined ? undefined : intOption(options, 'seed');
  return { temperature, topP: topP ?? 1, ...(seed !== undefined ? { seed } : {}) };
}

/** The sampling and steering options generate and sweep share. */
export const DECODING_OPTIONS: Record<string, OptionSpec> = {
  greedy: { type: 'boolean', description: 'greedy decoding (the default)' },
  temperature: { type: 'string', description: 'sample at this temperature (0 is greedy) instead of greedy decoding' },
  'top-p': {
    type: 'string',
    description: 'with --temperature: sample from the smallest set of tokens whose probability reaches P (default 1)',
  },
  seed: {
    type: 'string',
    description:
      'with --temperature: the sampling seed, 0..4294967295 (recorded; generate chooses one when absent, sweep uses 0)',
  },
};

export const SAE_CLAMP_OPTIONS: Record<string, OptionSpec> = {
  sae: { type: 'string', description: 'with --method clamp: the imported SAE whose feature is clamped' },
  feature: { type: 'string', description: 'with --method clamp: the feature index; --k is the value c it is set to' },
};

function steerOf(options: ParsedOptions): MethodInput<'models.generate'>['steer'] {
  const method = parseMethod(options);
  if (options['vector-file'] === undefined && options.vector === undefined && options.sae === undefined) {
    const stray = STEER_OPTIONS.filter((name) => options[name] !== undefined);
    if (stray.length > 0) throw new AppError('invalid_input', `--${stray[0]} needs --vector, --vector-file or --sae`);
    return undefined;
  }
  const sources = ['vector', 'vector-file', 'sae'].filter((name) => options[name] !== undefined);
  if (sources.length > 1) throw new AppError('invalid_input', `--${sources[0]} and --${sources[1]}: give one of them`);
  if (options.layer === undefined)
    throw new AppError('invalid_input', '--layer is required with a steer (the residual stream entering block L)');
  const k = numberOption(options, 'k');
  return {
    ...(options.vector !== undefined ? { vector: stringOption(options, 'vector') } : {}),
    ...(options['vector-file'] !== undefined ? { vectorFile: stringOption(options, 'vector-file') } : {}),
    ...(options.sae !== undefined ? { sae: stringOption(options, 'sae'), feature: intOption(options, 'feature') } : {}),
    layer: intOption(options, 'layer'),
    method,
    ...(k !== undefined ? { k } : {}),
    positions: parsePositions(stringOption(options, 'positions') || 'prompt'),
  };
}

/** --precision, on generate and sweep. */
export const PRECISION_OPTION = {
  type: 'string',
  default: 'fp32',
  description:
    "weights: fp32 (default), fp16, int8 or int4 (weight-only, MatMulNBits); rewritten once into the project's cache/",
} as const;

export function parsePrecision(raw: string): Precision {
  if (!(PRECISIONS as readonly string[]).includes(raw))
    throw new AppError('invalid_input', `--precision: expected ${PRECISIONS.join(', ')}, got "${raw}"`);
  return raw as Precision;
}

export const generateCommand: Command = {
  name: 'generate',
  summary:
    'one generation from an imported model, greedy or sampled, plain or steered (a vector, named or a file, or an SAE feature clamp); prints the text as it is generated',
  usage:
    'sightline generate --project DIR --model NAME --prompt TEXT [--chat] [--image PATH] [--vector NAME | --vector-file PATH.npy|.safetensors | --sae NAME --feature N] [--layer L --k K --method add|ablate|cap|clamp --positions prompt|generated|all|LIST] --tokens N [--greedy | --temperature T [--top-p P] [--seed S]] [--stop-at-eos] [--provider auto|cuda|cpu] [--precision fp32|fp16|int8|int4] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    model: { type: 'string', required: true, description: 'model name (see import-model)' },
    prompt: {
      type: 'string',
      required: true,
      description: 'the prompt, tokenised as is (the tokenizer adds BOS) unless --chat',
    },
    chat: { type: 'boolean', description: "wrap the prompt as one user message in the model's chat template" },
    image: {
      type: 'string',
      description:
        'LLaVA-NeXT: a PNG, JPEG or WebP image for the <image> in the prompt (put in front of the prompt when it has none); --json adds imagePositions',
    },
    vector: {
      type: 'string',
      description: 'steering vector stored in the project (see vector import / vector from-sae)',
    },
    'vector-file': {
      type: 'string',
      description: 'steering vector: .npy or one-tensor .safetensors with d_model values',
    },
    layer: {
      type: 'string',
      description: 'steer the residual stream entering block L (transformers hidden_states[L])',
    },
    ...SAE_CLAMP_OPTIONS,
    k: {
      type: 'string',
      description:
        'add: h += k*v; cap: limit h.v to at most k (v normalised); clamp: set the feature to k; unused by ablate',
    },
    method: {
      type: 'string',
      description: 'add (default), ablate (remove h along v), cap, or clamp (an SAE feature, with --sae --feature)',
    },
    positions: { type: 'string', description: 'prompt (default), generated, all, or token indices like 0,1,4' },
    tokens: { type: 'string', required: true, description: 'tokens to generate (exactly N unless --stop-at-eos)' },
    ...DECODING_OPTIONS,
    'stop-at-eos': {
      type: 'boolean',
      description: 'stop at the end-of-sequence token instead of generating exactly N',
    },
    provider: PROVIDER_OPTION,
    precision: PRECISION_OPTION,
  },
  run: async (options, output) => {
    const provider = providerOption(options);
    const steer = steerOf(options);
    const sampling = parseSampling(options);
    const input: MethodInput<'models.generate'> = {
      model: stringOption(options, 'model'),
      prompt: stringOption(options, 'prompt'),
      chat: options.chat === true,
      tokens: intOption(options, 'tokens'),
      stopAtEos: options['stop-at-eos'] === true,
      provider,
      precision: parsePrecision(stringOption(options, 'precision')),
      ...(options.image !== undefined ? { image: stringOption(options, 'image') } : {}),
      ...(steer ? { steer } : {}),
      ...(sampling ? { sampling } : {}),
    };
    const events = new EventBus();
    // Without --json the text streams to stdout as it is generated; with it, stdout holds only the result.
    if (!output.json) {
      events.subscribe((name, payload) => {
        if (name === 'generate.step') process.stdout.write((payload as { text: string }).text);
      });
    }
    const result = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'models.generate', input, events),
    );
    if (output.json) output.result(result);
    else {
      // stdout holds only the text; how it ran goes to stderr.
      process.stdout.write('\n');
      const { decoding } = result.spec;
      const how =
        decoding.kind === 'sample'
          ? `sampled at temperature ${decoding.temperature}, top-p ${decoding.topP}, seed ${decoding.seed}`
          : 'greedy';
      const strength = result.kl === null ? '' : `; strength KL ${result.kl.toPrecision(4)} nats`;
      const image = result.imagePositions === undefined ? '' : `; image: ${result.imagePositions} positions`;
      process.stderr.write(
        `(${result.generatedIds.length} tokens, ${result.spec.provider}: ${result.spec.providerReason}; ${how}${strength}${image}; ${result.spec.loop} loop)\n`,
      );
    }
  },
};
