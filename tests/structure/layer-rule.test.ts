// The layer rule bites: .dependency-cruiser.cjs, run by the real depcruise CLI over a small tree laid
// out like this repository, reports each kind of wrong import and passes the right ones. The tree is
// built in a temp folder (never inside src-main, which other tests and tools read at the same time).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/factories';

const repo = path.resolve(__dirname, '../..');
const depcruise = path.join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

// file -> source. Names say whether the rule must allow (ok-*) or refuse (bad-*) the import.
const TREE: Record<string, string> = {
  'src-main/contract/index.ts': 'export type Answer = { value: string };\nexport const VERSION = 1;\n',
  'src-main/util/errors.ts': 'export const oops = 1;\n',
  'src-main/api/handlers.ts': "import { oops } from '../util/errors';\nexport const handlers = oops;\n",
  'src-main/engine/sae-model.ts': 'export type SaeWeights = { dIn: number };\nexport const load = 1;\n',
  'src-main/mining/delphi-reader.ts': 'export const reader = 1;\n',
  'src-main/mining/other.ts': 'export const other = 1;\n',
  // Downward imports are the design.
  'src-main/domain/ok-down.ts':
    "import { oops } from '../util/errors';\nimport type { Answer } from '../contract/index';\nexport const a: Answer | number = oops;\n",
  // electron outside src-main/shell.
  'src-main/domain/bad-electron.ts': "import { app } from 'electron';\nexport const x = app;\n",
  'src-main/shell/ok-electron.ts': "import { app } from 'electron';\nexport const x = app;\n",
  // Upward: the store calling the api.
  'src-main/store/bad-up.ts': "import { handlers } from '../api/handlers';\nexport const y = handlers;\n",
  // Sideways, allowed for types only: store/saes.ts may name the engine's types, never call it.
  'src-main/store/saes.ts': "import type { SaeWeights } from '../engine/sae-model';\nexport type Row = SaeWeights;\n",
  'src-main/store/bad-sideways.ts':
    "import type { SaeWeights } from '../engine/sae-model';\nexport type Row = SaeWeights;\n",
  // A temporary exception covers its one edge only.
  'src-main/importers/delphi-import.ts':
    "import { reader } from '../mining/delphi-reader';\nimport { other } from '../mining/other';\nexport const z = reader + other;\n",
  // A cycle between two folders inside one layer folder.
  'src-main/domain/left/bad-cycle.ts':
    "import { right } from '../right/bad-cycle';\nexport const left = () => right;\n",
  'src-main/domain/right/bad-cycle.ts': "import { left } from '../left/bad-cycle';\nexport const right = () => left;\n",
  // The renderer: the contract, type-only, and nothing else of src-main.
  'src-renderer/src/ok-types.ts':
    "import type { Answer } from '../../src-main/contract/index';\nexport const show = (a: Answer) => a.value;\n",
  'src-renderer/src/bad-value.ts':
    "import { VERSION } from '../../src-main/contract/index';\nexport const v = VERSION;\n",
  'src-renderer/src/bad-store.ts':
    "import type { Row } from '../../src-main/store/saes';\nexport const r = (row: Row) => row.dIn;\n",
  'src-renderer/src/bad-node.ts': "import fs from 'node:fs';\nexport const f = fs;\n",
  'src-renderer/src/bad-view.svelte':
    '<script lang="ts">\n  import { handlers } from \'../../src-main/api/handlers\';\n</script>\n<p>{handlers}</p>\n',
};

const CONFIGS = ['.dependency-cruiser.cjs', 'tsconfig.base.json', 'tsconfig.node.json'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(): Violation[] {
  const root = tempDir('sightline-layers-');
  for (const [file, source] of Object.entries(TREE)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), source);
  }
  for (const file of CONFIGS) fs.copyFileSync(path.join(repo, file), path.join(root, file));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const run = spawnSync(
    process.execPath,
    [depcruise, 'src-main', 'src-renderer', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (!run.stdout) throw new Error(`depcruise printed nothing (status ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout).summary.violations;
}

describe('the layer rule (.dependency-cruiser.cjs)', () => {
  const found = cruise();
  const broken = (rule: string) => found.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  it('refuses electron outside src-main/shell', () => {
    expect(broken('electron-only-in-shell')).toEqual([
      expect.stringMatching(/^src-main\/domain\/bad-electron\.ts -> (.*node_modules\/electron\/|electron$)/),
    ]);
  });

  it('refuses an import from a higher layer, and a peer import beyond its allowed types', () => {
    expect(broken('layer-store').sort()).toEqual([
      'src-main/store/bad-sideways.ts -> src-main/engine/sae-model.ts',
      'src-main/store/bad-up.ts -> src-main/api/handlers.ts',
    ]);
  });

  it('pins a temporary exception to its one edge', () => {
    expect(broken('layer-importers')).toEqual(['src-main/importers/delphi-import.ts -> src-main/mining/other.ts']);
    expect(found.map((v) => `${v.from} -> ${v.to}`)).not.toContain(
      'src-main/importers/delphi-import.ts -> src-main/mining/delphi-reader.ts',
    );
  });

  it('refuses folder cycles at any depth', () => {
    expect(broken('no-folder-cycles').length).toBeGreaterThan(0);
    for (const v of found.filter((x) => x.rule.name === 'no-folder-cycles'))
      expect(v.from).toMatch(/^src-main\/domain\/(left|right)$/);
  });

  it('lets the renderer import only the contract, type-only, and no Node built-ins', () => {
    expect(broken('renderer-imports-contract-types-only')).toEqual([
      'src-renderer/src/bad-value.ts -> src-main/contract/index.ts',
    ]);
    expect(broken('renderer-reaches-main-only-through-contract').sort()).toEqual([
      'src-renderer/src/bad-store.ts -> src-main/store/saes.ts',
      'src-renderer/src/bad-view.svelte -> src-main/api/handlers.ts',
    ]);
    expect(broken('renderer-no-node-builtins')).toEqual(['src-renderer/src/bad-node.ts -> fs']);
  });

  it('passes every allowed import', () => {
    const offenders = found.map((v) => v.from).filter((from) => /(^|\/)ok-[^/]*$|store\/saes\.ts$/.test(from));
    expect(offenders).toEqual([]);
    expect(found.every((v) => /bad-|delphi-import\.ts$|\/(left|right)$/.test(v.from))).toBe(true);
  });
});

// depcruise reads a .svelte file after the Svelte compiler has dropped its type-only imports, so a
// `import type` from src-main/store in a component would pass the rule above. This closes that gap.
function svelteImportsOfMain(rendererRoot: string, repoRoot: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(rendererRoot, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.svelte')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const scripts = [...fs.readFileSync(file, 'utf8').matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map(
      (m) => m[1],
    );
    for (const script of scripts) {
      for (const m of script.matchAll(/\b(?:from|import)\s*['"]([^'"]+)['"]/g)) {
        if (!m[1].startsWith('.')) continue;
        const target = path
          .relative(repoRoot, path.resolve(path.dirname(file), m[1]))
          .split(path.sep)
          .join('/');
        if (target.startsWith('src-main/')) found.push(`${path.relative(repoRoot, file)} -> ${target}`);
      }
    }
  }
  return found;
}

describe('renderer components (.svelte) and src-main', () => {
  it('sees type-only imports of src-main in a component', () => {
    const root = tempDir('sightline-svelte-');
    fs.mkdirSync(path.join(root, 'src-renderer/src/page'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'src-renderer/src/page/view.svelte'),
      "<script lang=\"ts\">\n  import type { Answer } from '../../../src-main/contract';\n  import type { Row } from '../../../src-main/store/saes';\n</script>\n",
    );
    expect(svelteImportsOfMain(path.join(root, 'src-renderer'), root)).toEqual([
      'src-renderer/src/page/view.svelte -> src-main/contract',
      'src-renderer/src/page/view.svelte -> src-main/store/saes',
    ]);
  });

  it('import nothing of src-main but the contract', () => {
    const imports = svelteImportsOfMain(path.join(repo, 'src-renderer'), repo);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((line) => !line.endsWith(' -> src-main/contract'))).toEqual([]);
  });
});
