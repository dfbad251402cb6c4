// Runs the CLI in a child process (for tests that kill it mid-job).
import { runCli } from '../../src-main/cli/main';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
