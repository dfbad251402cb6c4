// The layer rule (issue 12). `npm run lint` runs it and `npm test` runs lint first, so CI fails on a
// new import that goes the wrong way. The README ("How the code is laid out") draws the same graph.
//
// A folder of src-main may import its own files and folders in lower layers only; peers on one layer
// do not import each other (so no two folders can form a cycle). Read the table bottom-up.
const LAYERS = [
  ['contract', 'util'], // the wire types and plain helpers: import nothing of ours
  ['store', 'engine'], // SQL (the only place for it) and the ORT engine
  ['project', 'jobs'], // the project folder and its files; background jobs
  ['domain', 'importers', 'results'], // campaigns and rating; reading outside formats; analysis
  ['mining', 'export', 'steer'], // feature mining; file exports; steered generation
  ['demo', 'api'], // the demo project; the contract's handlers
  ['http'], // the HTTP bridge
  ['shell', 'cli'], // entry points: Electron and the command line
];

// Imports across a layer that are part of the design, not debt.
const ALLOWED_SIDEWAYS = [
  {
    // The store keeps the SAE's source files and load options in the shapes the engine reads
    // (types only: the store never runs the engine).
    from: '^src-main/store/saes\\.ts$',
    to: '^src-main/engine/sae-model\\.ts$',
    typeOnly: true,
  },
];

// TEMPORARY exceptions: cycles that existed when the rule came in (issue 12) and are being removed on
// other branches. Each names its edge exactly, so a new import along the same pair still fails.
// Delete an entry as soon as its edge is gone (depcruise then keeps it gone).
const TEMPORARY = [
  {
    // mining <-> importers: the delphi importer reads splits with mining's delphi reader while the
    // miner checks SAE files with the SAE importer's checks. Being untangled on another branch; the
    // reader belongs with the importers (or below both).
    from: '^src-main/importers/delphi-import\\.ts$',
    to: '^src-main/mining/delphi-reader\\.ts$',
  },
];

// TEMPORARY: inside the engine, graph/ builds the decoder graphs from lm/'s config, weights, RoPE
// tables and steering checks, while two of lm/'s runners take the built graphs' types (and the clamp's
// column list) from graph/ (engine/lm <-> engine/graph). These files are being changed on the LM
// branches; what the runners take belongs with lm/ (or a shared file below both). Until then lm/
// reaches graph/ through these edges and no others.
const TEMPORARY_ENGINE_EDGES = [
  { from: '^src-main/engine/lm/decode\\.ts$', to: '^src-main/engine/graph/lm-decoder\\.ts$' },
  { from: '^src-main/engine/lm/decode-loop\\.ts$', to: '^src-main/engine/graph/lm-loop\\.ts$' },
];

// The folders of the temporary cycles above, for the folder-cycle rule (which sees folders, not
// files). The layer rule and the engine rules below still pin each cycle to its exact edge.
const TEMPORARY_FOLDER_CYCLES = ['mining', 'importers', 'engine/lm', 'engine/graph'];

const alternatives = (names) => `(${names.join('|')})`;

const folderOf = (fileRegex) => /^\^src-main\/([^/]+)\//.exec(fileRegex)[1];

// One rule per folder: nothing of src-main outside itself and the layers below it.
function layerRules() {
  return LAYERS.flatMap((layer, index) => {
    const below = LAYERS.slice(0, index).flat();
    return layer.flatMap((folder) => {
      const rule = {
        name: `layer-${folder}`,
        comment:
          `src-main/${folder} (layer ${index}) may import only ` +
          (below.length ? `itself and ${below.join(', ')}` : 'itself') +
          ' (see LAYERS in .dependency-cruiser.cjs and "How the code is laid out" in the README).',
        severity: 'error',
        from: { path: `^src-main/${folder}/` },
        to: { path: '^src-main/', pathNot: [`^src-main/${alternatives([folder, ...below])}/`] },
      };
      return withExceptions(rule, folder);
    });
  });
}

// depcruise matches `from` and `to` separately, so an exception for one file pair splits the folder's
// rule: the other files keep the plain rule, and each excepted file gets the rule minus its target.
function withExceptions(rule, folder) {
  const mine = [...ALLOWED_SIDEWAYS, ...TEMPORARY].filter((e) => folderOf(e.from) === folder);
  if (mine.length === 0) return [rule];
  const rules = [{ ...rule, from: { ...rule.from, pathNot: mine.map((e) => e.from) } }];
  for (const e of mine) {
    rules.push({ ...rule, from: { path: e.from }, to: { ...rule.to, pathNot: [...rule.to.pathNot, e.to] } });
    if (e.typeOnly) {
      rules.push({
        ...rule,
        name: `${rule.name}-types-only`,
        comment: `${e.from} may import ${e.to} for its types only.`,
        from: { path: e.from },
        to: { path: e.to, dependencyTypesNot: ['type-only'] },
      });
    }
  }
  return rules;
}

module.exports = {
  forbidden: [
    ...layerRules(),
    {
      name: 'no-folder-cycles',
      comment: 'Folders (at any depth) do not import each other in a cycle.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src-(main|renderer)/', pathNot: `^src-main/${alternatives(TEMPORARY_FOLDER_CYCLES)}$` },
      to: { circular: true, pathNot: `^src-main/${alternatives(TEMPORARY_FOLDER_CYCLES)}$` },
    },
    {
      name: 'temporary-engine-lm-graph',
      comment: 'engine/lm does not import engine/graph (temporary exceptions: see TEMPORARY_ENGINE_EDGES).',
      severity: 'error',
      from: { path: '^src-main/engine/lm/', pathNot: TEMPORARY_ENGINE_EDGES.map((e) => e.from) },
      to: { path: '^src-main/engine/graph/' },
    },
    ...TEMPORARY_ENGINE_EDGES.map((e) => ({
      name: 'temporary-engine-lm-graph',
      comment: `${e.from} imports from engine/graph only ${e.to} (temporary: see TEMPORARY_ENGINE_EDGES).`,
      severity: 'error',
      from: { path: e.from },
      to: { path: '^src-main/engine/graph/', pathNot: e.to },
    })),
    {
      name: 'electron-only-in-shell',
      comment: 'Only src-main/shell imports electron; everything else runs under plain Node (CLI, tests, HTTP).',
      severity: 'error',
      from: { path: '^src-(main|renderer)/', pathNot: '^src-main/shell/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron$'] },
    },
    {
      name: 'renderer-reaches-main-only-through-contract',
      comment: 'The renderer imports from src-main only src-main/contract.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^src-main/', pathNot: '^src-main/contract/' },
    },
    {
      name: 'renderer-imports-contract-types-only',
      comment: 'The renderer imports the contract type-only (no zod or Node code in the bundle).',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^src-main/contract/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-no-node-builtins',
      comment: 'The renderer runs in a browser: no Node built-ins.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'main-not-into-renderer-or-tests',
      comment: 'Application code does not import the renderer, the tests or the scripts.',
      severity: 'error',
      from: { path: '^src-main/' },
      to: { path: '^(src-renderer|tests|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a missing dependency fails here, not at run time).',
      severity: 'error',
      from: { path: '^src-(main|renderer)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type import still ties one layer to another.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    preserveSymlinks: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
