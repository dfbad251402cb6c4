// Runs the CLI as a process does (runCliProcess), plus two commands that fail the way a bug would:
// one throws a TypeError, one throws from a stray timer outside the command's promise. Used by
// exit-codes.test.ts to check that a crash exits with its own code, distinct from a bad file's.
import { COMMANDS, runCliProcess } from '../../src-main/cli/main';

COMMANDS.push(
  {
    name: 'test-crash',
    summary: 'throws a TypeError, like a bug',
    usage: 'test-crash',
    options: {},
    run: () => {
      const missing = undefined as unknown as { field: number };
      return void missing.field;
    },
  },
  {
    name: 'test-stray-crash',
    summary: 'throws from a timer, outside the command',
    usage: 'test-stray-crash',
    options: {},
    run: () =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          throw new RangeError('thrown outside the command');
        }, 0);
        setTimeout(resolve, 5_000);
      }),
  },
);

void runCliProcess(process.argv.slice(2));
