import { AppError, toErrorValue } from '../util/errors';
import { helpText, parseCommandArgs, type Command, type Output } from './command';
import { campaignCreateCommand, campaignListCommand, campaignStatusCommand } from './commands/campaign';
import { demoCommand } from './commands/demo';
import { exportCommand } from './commands/export';
import { featuresCommand } from './commands/features';
import { initCommand } from './commands/init';
import { importActivationsCommand } from './commands/import-activations';
import { importResultsCommand } from './commands/import-results';
import { importSaeCommand } from './commands/import-sae';
import { mineCommand } from './commands/mine';
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
  mineCommand,
  featuresCommand,
  relinkCommand,
  templateListCommand,
  templateShowCommand,
  campaignCreateCommand,
  campaignListCommand,
  campaignStatusCommand,
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
    result: (value, human) => process.stdout.write(json || !human ? `${JSON.stringify(value, null, json ? 0 : 2)}\n` : `${human(value)}\n`),
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`sightline: unknown command "${argv.join(' ')}"\n\n${topHelp()}`);
    return 2;
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
    return value.code === 'invalid_input' ? 2 : 1;
  }
}

// Bundled entry (dist/main/cli.cjs) runs immediately; tests import runCli instead.
if (typeof require !== 'undefined' && require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
