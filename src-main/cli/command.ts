import { parseArgs } from 'node:util';
import { AppError } from '../util/errors';

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  required?: boolean;
  default?: string | boolean;
  multiple?: boolean;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

/** Where a command writes: human text, or (with --json) one JSON value on stdout. */
export interface Output {
  json: boolean;
  /** Human-readable progress and messages (stderr when --json, so stdout stays machine-readable). */
  info(line: string): void;
  /** The command's result: printed as JSON with --json, else through `human`. */
  result(value: unknown, human?: (value: unknown) => string): void;
}

export interface Command {
  /** e.g. "rater add" */
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** set when the command takes bare arguments after its options (e.g. merge's shard folders), named for the help; they come as options._ */
  positionals?: string;
  run(options: ParsedOptions, output: Output): Promise<void> | void;
}

const COMMON: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print a machine-readable result on stdout' },
  help: { type: 'boolean', description: 'show this help' },
};

export function helpText(command: Command): string {
  const options = { ...command.options, ...COMMON };
  const width = Math.max(...Object.keys(options).map((name) => name.length)) + 4;
  const lines = Object.entries(options).map(([name, spec]) => {
    const flag = `--${name}`.padEnd(width + 2);
    const extra = spec.required ? ' (required)' : spec.default !== undefined ? ` (default: ${spec.default})` : '';
    return `  ${flag}${spec.description}${extra}`;
  });
  return `sightline ${command.name}: ${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${lines.join('\n')}\n`;
}

/**
 * `--k -1.5` as `--k=-1.5`: node's parseArgs reads a value that starts with '-' as an option and
 * refuses it, so a string option followed by something shaped like a negative number or range
 * (-1.5, -3:3:7, -.5, -2,0,2) is joined to it first.
 */
export function joinNegativeValues(options: Record<string, OptionSpec>, argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      joined.push(`${argv[i]}=${next}`);
      i++;
    } else joined.push(argv[i]);
  }
  return joined;
}

/** Parses argv for one command; unknown or missing options are usage errors naming the option. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedOptions {
  const options = { ...command.options, ...COMMON };
  let values: ParsedOptions;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: joinNegativeValues(options, argv),
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          {
            type: spec.type,
            ...(spec.multiple ? { multiple: true } : {}),
            ...(spec.default !== undefined ? { default: spec.default as never } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: command.positionals !== undefined,
    }) as { values: ParsedOptions; positionals: string[] });
  } catch (error) {
    throw new AppError('invalid_input', (error as Error).message);
  }
  if (command.positionals !== undefined) values._ = positionals;
  if (values.help) return values;
  for (const [name, spec] of Object.entries(command.options)) {
    if (spec.required && (values[name] === undefined || values[name] === '')) {
      throw new AppError('invalid_input', `--${name} is required (${spec.description})`);
    }
  }
  return values;
}

export const stringOption = (options: ParsedOptions, name: string): string => String(options[name] ?? '');

export function intOption(options: ParsedOptions, name: string, fallback?: number): number {
  const raw = options[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new AppError('invalid_input', `--${name} is required`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new AppError('invalid_input', `--${name}: expected a whole number, got "${raw}"`);
  return value;
}

/** --provider on the commands that run the engine (generate, sweep, capture, mine). */
export const PROVIDER_OPTION: OptionSpec = {
  type: 'string',
  default: 'auto',
  description: 'execution provider: auto (CUDA, then CPU), cuda or cpu',
};

/** The --provider value, checked: auto, cuda or cpu. */
export function providerOption(options: ParsedOptions): 'auto' | 'cuda' | 'cpu' {
  const provider = stringOption(options, 'provider');
  if (provider !== 'auto' && provider !== 'cuda' && provider !== 'cpu')
    throw new AppError('invalid_input', `--provider: expected auto, cuda or cpu, got "${provider}"`);
  return provider;
}
