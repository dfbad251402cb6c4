import { AppError, toErrorValue, type ErrorCode } from '../util/errors';
import { helpText, parseCommandArgs, type Command, type Output } from './command';
import {
  campaignArchiveCommand,
  campaignCreateCommand,
  campaignDeleteCommand,
  campaignListCommand,
  campaignStatusCommand,
} from './commands/campaign';
import { demoCommand } from './commands/demo';
import { exportCommand } from './commands/export';
import { featuresCommand } from './commands/features';
import { initCommand } from './commands/init';
import { importActivationsCommand } from './commands/import-activations';
import { importResultsCommand } from './commands/import-results';
import { importSaeCommand } from './commands/import-sae';
import { importModelCommand } from './commands/import-model';
import { generateCommand } from './commands/generate';
import { mergeCommand, sweepCommand } from './commands/sweep';
import {
  vectorExportCommand,
  vectorFeaturesCommand,
  vectorFromSaeCommand,
  vectorImportCommand,
  vectorListCommand,
} from './commands/vector';
import { mineCommand } from './commands/mine';
import { captureCommand } from './commands/capture';
import { probeCommand, probeListCommand, probeShowCommand } from './commands/probe';
import { raterAddCommand } from './commands/rater-add';
import { relinkCommand } from './commands/relink';
import { resultsCommand } from './commands/results';
import { serveCommand } from './commands/serve';
import { templateListCommand, templateShowCommand } from './commands/template';

/** Every command, in the order `sightline --help` lists them: set-up, features, rating, results. */
export const COMMANDS: Command[] = [
  initCommand,
  demoCommand,
  serveCommand,
  importSaeCommand,
  importActivationsCommand,
  importModelCommand,
  vectorImportCommand,
  vectorFromSaeCommand,
  vectorListCommand,
  vectorExportCommand,
  vectorFeaturesCommand,
  generateCommand,
  sweepCommand,
  mergeCommand,
  captureCommand,
  probeCommand,
  probeListCommand,
  probeShowCommand,
  mineCommand,
  featuresCommand,
  relinkCommand,
  templateListCommand,
  templateShowCommand,
  campaignCreateCommand,
  campaignListCommand,
  campaignStatusCommand,
  campaignArchiveCommand,
  campaignDeleteCommand,
  raterAddCommand,
  resultsCommand,
  exportCommand,
  importResultsCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return `sightline: offline studio for human evaluation of vision-language models\n\nCommands:\n${COMMANDS.map(
    (command) => `  ${command.name.padEnd(width)}${command.summary}`,
  ).join('\n')}\n\nRun \`sightline <command> --help\` for a command's options. Every command takes --json.\n`;
}

/**
 * Exit codes, so scripts can tell a bad input from a bug: 0 success; 1 a documented error (bad_file,
 * not_found, conflict, busy, ...: the message says what to fix); 2 a usage error or invalid input;
 * 70 an internal error, i.e. a bug in sightline (EX_SOFTWARE from BSD sysexits.h), printed with its
 * stack trace. Issue 11: a crash exited 1, the same as a malformed file.
 */
export const EXIT_CODES = { ok: 0, error: 1, usage: 2, internal: 70 } as const;

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'internal') return EXIT_CODES.internal;
  return code === 'invalid_input' ? EXIT_CODES.usage : EXIT_CODES.error;
}

/** Finds the longest command name that prefixes argv ("rater add" before "rater"). */
function findCommand(argv: string[]): { command: Command; rest: string[] } | null {
  const sorted = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((word, index) => argv[index] === word)) return { command, rest: argv.slice(words.length) };
  }
  return null;
}

export async function runCli(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const output: Output = {
    json,
    info: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    result: (value, human) =>
      process.stdout.write(json || !human ? `${JSON.stringify(value, null, json ? 0 : 2)}\n` : `${human(value)}\n`),
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`sightline: unknown command "${argv.join(' ')}"\n\n${topHelp()}`);
    return EXIT_CODES.usage;
  }
  try {
    const options = parseCommandArgs(found.command, found.rest);
    if (options.help) {
      process.stdout.write(helpText(found.command));
      return 0;
    }
    await found.command.run(options, output);
    return 0;
  } catch (error) {
    const value = toErrorValue(error);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: value })}\n`);
    process.stderr.write(`sightline ${found.command.name}: ${value.message}\n`);
    if (!(error instanceof AppError)) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return exitCodeFor(value.code);
  }
}

/**
 * The CLI as a process (bin/sightline.cjs, the bundled entry): sets the exit code, and makes an error
 * thrown outside the command's own promise (a stray callback or rejection) exit 70 too, rather than
 * Node's default 1, which would read as a documented error.
 */
export function runCliProcess(argv: string[]): Promise<void> {
  const crash = (error: unknown) => {
    process.stderr.write(
      `sightline: internal error (a bug; please report it with this trace): ${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exit(EXIT_CODES.internal);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  return runCli(argv).then((code) => {
    process.exitCode = code;
  }, crash);
}

// Bundled entry (dist/main/cli.cjs) runs immediately; tests import runCli instead.
if (typeof require !== 'undefined' && require.main === module) {
  void runCliProcess(process.argv.slice(2));
}
