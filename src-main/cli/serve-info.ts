import fs from 'node:fs';
import path from 'node:path';

/** `sightline serve` writes where it listens, so `sightline rater add` can print a working link. */
const FILE = 'serve.json';

export interface ServeInfo {
  url: string;
  pid: number;
}

export function writeServeInfo(projectDir: string, info: ServeInfo): void {
  fs.writeFileSync(path.join(projectDir, FILE), JSON.stringify(info));
}

export function clearServeInfo(projectDir: string): void {
  fs.rmSync(path.join(projectDir, FILE), { force: true });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function readServeInfo(projectDir: string): ServeInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(projectDir, FILE), 'utf8')) as ServeInfo;
    return alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/** `sightline serve`'s port unless --port says otherwise. */
export const DEFAULT_PORT = 8470;

/**
 * The origin to put in links printed by the CLI (rater links, the Prolific study URL): --base-url
 * when given, else the running `sightline serve` of this project, else the default port on this
 * machine (`assumed` then, so the command can say so).
 */
export function linkOrigin(projectDir: string, baseUrl: string | undefined): { origin: string; assumed: boolean } {
  if (baseUrl) return { origin: baseUrl.replace(/\/+$/, ''), assumed: false };
  const serving = readServeInfo(projectDir);
  return serving
    ? { origin: serving.url, assumed: false }
    : { origin: `http://127.0.0.1:${DEFAULT_PORT}`, assumed: true };
}
