// Builds Sightline: the main-process bundles (CLI, Electron shell, preload, engine worker) with
// esbuild, and the renderer with Vite. Native modules stay external and load from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  cli: 'src-main/cli/main.ts',
  shell: 'src-main/shell/main.ts',
  preload: 'src-main/shell/preload.ts',
  'engine-worker': 'src-main/engine/worker.ts',
  'results-worker': 'src-main/results/worker.ts',
  'export-batch-worker': 'src-main/export/batch-worker.ts',
};

const started = Date.now();
const present = Object.fromEntries(Object.entries(entries).filter(([, file]) => fs.existsSync(path.join(root, file))));
await build({
  absWorkingDir: root,
  entryPoints: present,
  outdir: 'dist/main',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // @jsquash/webp is ESM that finds its files through import.meta.url: loaded from node_modules as is.
  external: ['electron', 'better-sqlite3', 'onnxruntime-node', '@duckdb/node-api', '@jsquash/webp'],
  logLevel: 'warning',
  // Sources use import.meta.url only as a fallback when __dirname is missing (ESM); bundles are CJS.
  define: { 'import.meta.url': 'undefined' },
});

const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
console.log(
  `sightline build: dist/main (${Object.keys(present).join(', ')}) and dist/renderer in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
