// Where a worker thread's script is, from sources and from the bundles alike. From the esbuild CJS
// bundles (dist/main/*.cjs) it is a sibling bundle; from TypeScript sources (vitest, tsx) it is the
// .ts entry, loaded through tsx.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';

export interface WorkerEntry {
  file: string;
  /** set for TypeScript sources: the worker registers this loader (tsx) before importing `file` */
  tsLoader?: 'tsx';
}

/**
 * @param bundleName the bundle next to dist/main/cli.cjs, e.g. 'results-worker.cjs'
 * @param sourcePath the entry below src-main, e.g. 'results/worker.ts'
 */
export function workerEntry(bundleName: string, sourcePath: string): WorkerEntry {
  // import.meta.url in ESM (tsx, vitest); esbuild's CJS bundle empties import.meta, so __filename there.
  const here = import.meta.url ? fileURLToPath(import.meta.url) : __filename;
  if (here.endsWith('.cjs')) return { file: join(dirname(here), bundleName) };
  return { file: join(dirname(here), '..', sourcePath), tsLoader: 'tsx' };
}

export function spawnWorker(entry: WorkerEntry, workerData?: unknown, transferList?: Transferable[]): Worker {
  if (!entry.tsLoader) return new Worker(entry.file, { workerData, transferList });
  // Node 20 does not apply `execArgv: ['--import', 'tsx']` to a worker's own entry, so a small
  // bootstrap registers tsx's ESM hooks and then imports the .ts entry.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(entry.file).href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}
