import { EventBus } from '../../api/events';
import type { MethodInput } from '../../contract';
import { PRECISIONS, type Precision } from '../../contract/models';
import { AppError } from '../../util/errors';
import { callAsResearcher, withProject } from '../project-session';
import { intOption, stringOption, type Command, type ParsedOptions } from '../command';

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

function steerOf(options: ParsedOptions): MethodInput<'models.generate'>['steer'] {
  if (options['vector-file'] === undefined && options.vector === undefined) {
    const stray = STEER_OPTIONS.filter((name) => options[name] !== undefined);
    if (stray.length > 0) throw new AppError('invalid_input', `--${stray[0]} needs --vector or --vector-file`);
    return undefined;
  }
  if (options['vector-file'] !== undefined && options.vector !== undefined)
    throw new AppError('invalid_input', '--vector and --vector-file: give one of them');
  if (options.layer === undefined)
    throw new AppError('invalid_input', '--layer is required with a vector (the residual stream entering block L)');
  const method = stringOption(options, 'method') || 'add';
  if (method !== 'add' && method !== 'ablate' && method !== 'cap')
    throw new AppError('invalid_input', `--method: expected add, ablate or cap, got "${method}"`);
  let k: number | undefined;
  if (options.k !== undefined) {
    k = Number(options.k);
    if (!Number.isFinite(k)) throw new AppError('invalid_input', `--k: expected a number, got "${options.k}"`);
  }
  return {
    ...(options.vector !== undefined
      ? { vector: stringOption(options, 'vector') }
      : { vectorFile: stringOption(options, 'vector-file') }),
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
    'one greedy generation from an imported model, plain or steered by a vector (named or a file); prints the text as it is generated',
  usage:
    'sightline generate --project DIR --model NAME --prompt TEXT [--chat] [--vector NAME | --vector-file PATH.npy|.safetensors --layer L --k K --method add|ablate|cap --positions prompt|generated|all|LIST] --tokens N [--greedy] [--stop-at-eos] [--provider auto|cuda|cpu] [--precision fp32|fp16|int8|int4] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    model: { type: 'string', required: true, description: 'model name (see import-model)' },
    prompt: {
      type: 'string',
      required: true,
      description: 'the prompt, tokenised as is (the tokenizer adds BOS) unless --chat',
    },
    chat: { type: 'boolean', description: "wrap the prompt as one user message in the model's chat template" },
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
    k: {
      type: 'string',
      description:
        'add: h += k*v; cap: limit h.v to at most k (v normalised; a negative k as --k=-1.5); unused by ablate',
    },
    method: { type: 'string', description: 'add (default), ablate (remove h along v) or cap' },
    positions: { type: 'string', description: 'prompt (default), generated, all, or token indices like 0,1,4' },
    tokens: { type: 'string', required: true, description: 'tokens to generate (exactly N unless --stop-at-eos)' },
    greedy: { type: 'boolean', description: 'greedy decoding (the default and, for now, the only decoding)' },
    'stop-at-eos': {
      type: 'boolean',
      description: 'stop at the end-of-sequence token instead of generating exactly N',
    },
    provider: {
      type: 'string',
      default: 'auto',
      description: 'execution provider: auto (CUDA, then CPU), cuda or cpu',
    },
    precision: PRECISION_OPTION,
  },
  run: async (options, output) => {
    const provider = stringOption(options, 'provider');
    if (provider !== 'auto' && provider !== 'cuda' && provider !== 'cpu')
      throw new AppError('invalid_input', `--provider: expected auto, cuda or cpu, got "${provider}"`);
    const steer = steerOf(options);
    const input: MethodInput<'models.generate'> = {
      model: stringOption(options, 'model'),
      prompt: stringOption(options, 'prompt'),
      chat: options.chat === true,
      tokens: intOption(options, 'tokens'),
      stopAtEos: options['stop-at-eos'] === true,
      provider,
      precision: parsePrecision(stringOption(options, 'precision')),
      ...(steer ? { steer } : {}),
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
      process.stderr.write(
        `(${result.generatedIds.length} tokens, ${result.spec.provider}: ${result.spec.providerReason})\n`,
      );
    }
  },
};
