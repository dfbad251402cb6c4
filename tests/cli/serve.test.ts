// `sightline serve` in a child process (it runs until signalled): with --json, stdout is one JSON
// value and nothing else, so `sightline serve --json | jq` and scripts can read it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../helpers/factories';

const child = path.join(__dirname, '..', 'jobs', 'cli-child.ts');

function serveUntilReady(args: string[]): Promise<{ out: string; err: string }> {
  const server = spawn(process.execPath, ['--import', 'tsx', child, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = { out: '', err: '' };
  server.stdout.on('data', (chunk) => (io.out += chunk));
  server.stderr.on('data', (chunk) => (io.err += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 30_000);
    const ready = setInterval(() => {
      if (!/Sightline ready: /.test(io.out + io.err)) return;
      clearInterval(ready);
      // The command prints its result before the ready line, so everything is out by now; stopping
      // at once rather than after a guessed moment (issue 12: no sleeps).
      server.kill('SIGTERM');
    }, 20);
    server.once('exit', () => {
      clearTimeout(timer);
      clearInterval(ready);
      if (/Sightline ready: /.test(io.out + io.err)) resolve(io);
      else reject(new Error(`sightline serve exited before it was ready:\n${io.err}`));
    });
  });
}

describe('sightline serve', () => {
  it('with --json prints one JSON line on stdout and the ready line on stderr', async () => {
    const project = makeProject();
    project.close();
    const { out, err } = await serveUntilReady(['--project', project.dir, '--port', '0', '--json']);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const value = JSON.parse(lines[0]);
    expect(value).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), host: '127.0.0.1' });
    expect(value.researcherUrl).toMatch(new RegExp(`^${value.url}/\\?token=`));
    expect(err).toContain(`Sightline ready: ${value.researcherUrl}`);
  }, 40_000);

  it('without --json prints the ready line on stdout', async () => {
    const project = makeProject();
    project.close();
    const { out } = await serveUntilReady(['--project', project.dir, '--port', '0']);
    expect(out).toMatch(/^Sightline ready: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m);
  }, 40_000);
});
