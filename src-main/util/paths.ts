import fs from 'node:fs';
import path from 'node:path';

let cachedRoot: string | undefined;

/**
 * The application root (the folder with Sightline's package.json). Source files, the esbuild
 * bundles in dist/main and the packaged asar all sit below it, so we walk up instead of
 * hard-coding a depth that differs between them.
 */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirnameSafe();
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'sightline') return (cachedRoot = dir);
      } catch {
        /* keep walking */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Sightline: cannot find the application root (package.json named "sightline")');
    dir = parent;
  }
}

function __dirnameSafe(): string {
  // CJS bundles define __dirname; ESM sources (vitest, tsx) have import.meta.url.
  if (typeof __dirname === 'string') return __dirname;
  return path.dirname(new URL(import.meta.url).pathname);
}

export const migrationsDir = (): string => path.join(appRoot(), 'migrations');
export const rendererDir = (): string => path.join(appRoot(), 'dist', 'renderer');
