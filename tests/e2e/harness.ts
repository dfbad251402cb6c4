// End-to-end harness: the real CLI (built bundle) serving a real project, driven by Debian Chromium.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'bin', 'sightline.cjs');

export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  ) as string[];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found)
    throw new Error('Chromium not found: install Debian chromium (`apt-get install -y chromium`) or set CHROMIUM_PATH');
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/** Runs `sightline <args>` to completion; returns stdout (throws with stderr on failure). */
export function sightline(args: string[]): string {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sightline ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

export interface Served {
  url: string;
  researcherUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `sightline serve --port 0` and waits for its "Sightline ready: <url>" line. */
export function serve(projectDir: string): Promise<Served> {
  const child = spawn(process.execPath, [cli, 'serve', '--project', projectDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Sightline ready: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolve({
          url: match[1],
          researcherUrl: `${match[1]}/?token=${match[2]}`,
          process: child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`sightline serve exited (${code}) before it was ready:\n${output}`)));
  });
}

/** The served project's API as the researcher: what the researcher pages do, without the clicks. */
export function researcherApi(served: Served): <T>(method: string, input: unknown) => Promise<T> {
  const token = new URL(served.researcherUrl).searchParams.get('token')!;
  return async <T>(method: string, input: unknown): Promise<T> => {
    const response = await fetch(`${served.url}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(input),
    });
    const body = (await response.json()) as { ok: boolean; value: T; error?: { message: string } };
    if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
    return body.value;
  };
}

/** Screenshots go here (gitignored): looked at by people, checked by tests only for being there and not blank. */
export const screenshotDir = path.join(repoRoot, 'tests', '.screenshots');

/**
 * Saves the viewport as tests/.screenshots/<name>.png and returns how many distinct colours it has:
 * a blank (one-colour) page has one, a rendered screen with text and images has hundreds.
 */
export async function screenshot(page: Page, name: string): Promise<{ file: string; colours: number }> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  const png = PNG.sync.read(fs.readFileSync(file));
  const colours = new Set<number>();
  for (let at = 0; at < png.data.length; at += 4) colours.add(png.data.readUInt32BE(at));
  return { file, colours: colours.size };
}
