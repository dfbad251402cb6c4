// `sightline relink`: repairs references to files that were moved after import (a project sent
// without its data, an SAE folder reorganised). Every referenced file that is missing or whose size
// changed is looked for in a search folder by base name and size, and accepted only when its sha256
// equals the one recorded at import: the name alone would happily take layer 10's
// sae_weights.safetensors for layer 5's. All paths are updated in one transaction, so a relink
// either applies every match it found or, on error, nothing. A delphi cache imported without an SAE
// creates a "precomputed" SAE whose path is the cache folder and which has no files of its own (the
// splits are its corpus's shards): that folder follows its splits.
import fs from 'node:fs';
import path from 'node:path';
import type { RelinkEntry, RelinkResult } from '../contract/imports';
import { hashFile } from '../engine/formats/hashing';
import { AppError } from '../util/errors';
import type { Project } from './project';
import { listShardReferences, updateShardPath } from '../store/corpora';
import { listSaeReferences, updateSaeLocation, type StoredSaeReference } from '../store/saes';
import { isInside, resolveStoredPath, toStoredPath } from './references';

/** How deep below the search folder we look: enough for a project or data tree, not a whole disk. */
export const RELINK_MAX_DEPTH = 8;

// The result's shape is the contract's (project.relink), declared once there.
export type { RelinkEntry, RelinkResult } from '../contract/imports';

interface Reference {
  recorded: string;
  absolute: string;
  size: number;
  sha256: string;
}

interface Found {
  path: string;
  size: number;
}

const needsRelink = (ref: Reference): boolean =>
  !fs.existsSync(ref.absolute) || fs.statSync(ref.absolute).size !== ref.size;

/** Files under `root` with one of `names`, by base name; symlinked folders are not followed (no loops). */
function findByName(root: string, names: Set<string>): Map<string, Found[]> {
  const found = new Map<string, Found[]>();
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable folders are skipped, not fatal
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < RELINK_MAX_DEPTH) visit(full, depth + 1);
      } else if (names.has(entry.name) && (entry.isFile() || entry.isSymbolicLink())) {
        const stat = fs.statSync(full, { throwIfNoEntry: false });
        if (stat?.isFile()) found.set(entry.name, [...(found.get(entry.name) ?? []), { path: full, size: stat.size }]);
      }
    }
  };
  visit(root, 0);
  return found;
}

/** sha256 of each candidate, computed once however many references ask. */
function hashCache(): Sha256Of {
  const hashes = new Map<string, Promise<string>>();
  return (file) => {
    if (!hashes.has(file))
      hashes.set(
        file,
        hashFile(file).then((h) => h.sha256),
      );
    return hashes.get(file)!;
  };
}

type Sha256Of = (file: string) => Promise<string>;

/** The file has the recorded size and sha256 (a reference without a sha256 never matches: no guessing). */
async function sameFile(file: string, ref: Reference, sha256Of: Sha256Of): Promise<boolean> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return Boolean(ref.sha256 && stat?.isFile() && stat.size === ref.size && (await sha256Of(file)) === ref.sha256);
}

/** Found files with the reference's base name, size and sha256. */
async function* verifiedCandidates(
  ref: Reference,
  found: Map<string, Found[]>,
  sha256Of: Sha256Of,
): AsyncGenerator<string> {
  for (const candidate of found.get(path.basename(ref.absolute)) ?? []) {
    if (candidate.size === ref.size && (await sameFile(candidate.path, ref, sha256Of))) yield candidate.path;
  }
}

type SaeRow = StoredSaeReference;

/**
 * An SAE's files are loaded from its path (a folder of cfg.json + weights, or one file), so they move
 * together: the largest file (the weights) is matched first, and its new place must hold every other
 * file at the same position relative to the SAE's path, each with its recorded sha256.
 */
async function relinkSae(project: Project, sae: SaeRow, found: Map<string, Found[]>, sha256Of: Sha256Of) {
  const config = JSON.parse(sae.config_json) as { files?: { path: string; size: number; sha256: string }[] };
  const refs: Reference[] = (config.files ?? []).map((f) => ({
    recorded: f.path,
    absolute: resolveStoredPath(project.dir, f.path),
    size: f.size,
    sha256: f.sha256,
  }));
  const root = resolveStoredPath(project.dir, sae.path);
  const entry = (ref: Reference, status: RelinkEntry['status'], now?: string): RelinkEntry => ({
    kind: 'sae',
    owner: sae.name,
    file: path.basename(ref.absolute),
    recorded: ref.recorded,
    sha256: ref.sha256,
    status,
    ...(now ? { path: now } : {}),
  });
  if (refs.length === 0 || !refs.some(needsRelink)) return { entries: refs.map((ref) => entry(ref, 'present')) };
  const anchor = [...refs].sort((a, b) => b.size - a.size)[0];
  for await (const candidate of verifiedCandidates(anchor, found, sha256Of)) {
    const newRoot = path.resolve(path.dirname(candidate), path.relative(path.dirname(anchor.absolute), root));
    const moved = refs.map((ref) => path.resolve(newRoot, path.relative(root, ref.absolute)));
    let complete = true;
    for (const [i, ref] of refs.entries()) if (complete) complete = await sameFile(moved[i], ref, sha256Of);
    if (!complete) continue;
    const stored = moved.map((file) => toStoredPath(project.dir, file));
    const files = (config.files ?? []).map((f, i) => ({ ...f, path: stored[i] }));
    return {
      entries: refs.map((ref, i) => entry(ref, 'relinked', stored[i])),
      update: {
        id: sae.id,
        path: toStoredPath(project.dir, newRoot),
        configJson: JSON.stringify({ ...config, files }),
      },
    };
  }
  return { entries: refs.map((ref) => entry(ref, needsRelink(ref) ? 'missing' : 'present')) };
}

/**
 * A precomputed SAE (no files of its own) whose folder is missing moves with the shards recorded
 * inside it: when every one of them was relinked, to the same place relative to the folder, the
 * folder is recorded there. `moves` are every shard's recorded place and, when relinked, its new one.
 */
function relinkSaeFolder(project: Project, sae: SaeRow, moves: { from: string; to?: string }[]) {
  const root = resolveStoredPath(project.dir, sae.path);
  const entry = (status: RelinkEntry['status'], now?: string): RelinkEntry => ({
    kind: 'sae',
    owner: sae.name,
    file: `${path.basename(root)}/`,
    recorded: sae.path,
    sha256: '',
    status,
    ...(now ? { path: now } : {}),
  });
  if (fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) return { entries: [entry('present')] };
  const inside = moves.filter((m) => isInside(root, m.from));
  const newRoots = new Set(
    inside.map((m) => m.to && path.resolve(path.dirname(m.to), path.relative(path.dirname(m.from), root))),
  );
  const [newRoot] = newRoots;
  if (
    inside.length === 0 ||
    newRoots.size !== 1 ||
    !newRoot ||
    !fs.statSync(newRoot, { throwIfNoEntry: false })?.isDirectory()
  )
    return { entries: [entry('missing')] };
  const stored = toStoredPath(project.dir, newRoot);
  return { entries: [entry('relinked', stored)], update: { id: sae.id, path: stored, configJson: sae.config_json } };
}

export async function relinkProject(project: Project, searchFolder: string): Promise<RelinkResult> {
  const search = path.resolve(searchFolder);
  if (!fs.statSync(search, { throwIfNoEntry: false })?.isDirectory())
    throw new AppError('not_found', `--search ${search}: expected an existing folder`);
  // An SAE without a path (made in code, e.g. by tests) references nothing.
  const saes = listSaeReferences(project.db);
  const filesOf = (sae: SaeRow) => (JSON.parse(sae.config_json) as { files?: { path: string }[] }).files ?? [];
  const shards = listShardReferences(project.db);
  const shardRefs = shards.map((s) => ({
    row: s,
    ref: { recorded: s.path, absolute: resolveStoredPath(project.dir, s.path), size: s.size, sha256: s.sha256 },
  }));

  // One walk of the search folder, for the base names of every reference.
  const names = new Set<string>(shardRefs.map(({ ref }) => path.basename(ref.absolute)));
  for (const sae of saes)
    for (const f of filesOf(sae)) names.add(path.basename(resolveStoredPath(project.dir, f.path)));
  const found = findByName(search, names);
  const sha256Of = hashCache();

  // Shards first: a precomputed SAE's folder follows its splits. SAEs are still reported first.
  const shardEntries: RelinkEntry[] = [];
  const shardUpdates: { id: number; path: string }[] = [];
  const shardMoves: { from: string; to?: string }[] = [];
  for (const { row, ref } of shardRefs) {
    const base = {
      kind: 'shard' as const,
      owner: row.corpus,
      file: path.basename(ref.absolute),
      recorded: ref.recorded,
      sha256: ref.sha256,
    };
    if (!needsRelink(ref)) {
      shardEntries.push({ ...base, status: 'present' });
      continue;
    }
    let now: string | undefined;
    for await (const candidate of verifiedCandidates(ref, found, sha256Of)) {
      now = candidate;
      break;
    }
    shardMoves.push({ from: ref.absolute, ...(now ? { to: now } : {}) });
    if (!now) {
      shardEntries.push({ ...base, status: 'missing' });
      continue;
    }
    const stored = toStoredPath(project.dir, now);
    shardUpdates.push({ id: row.id, path: stored });
    shardEntries.push({ ...base, status: 'relinked', path: stored });
  }

  const references: RelinkEntry[] = [];
  const saeUpdates: { id: number; path: string; configJson: string }[] = [];
  for (const sae of saes) {
    const outcome =
      filesOf(sae).length === 0
        ? relinkSaeFolder(project, sae, shardMoves)
        : await relinkSae(project, sae, found, sha256Of);
    references.push(...outcome.entries);
    if (outcome.update) saeUpdates.push(outcome.update);
  }
  references.push(...shardEntries);

  project.db.transaction(() => {
    for (const u of saeUpdates) updateSaeLocation(project.db, u);
    for (const u of shardUpdates) updateShardPath(project.db, u);
  })();
  const count = (status: RelinkEntry['status']) => references.filter((r) => r.status === status).length;
  return { search, relinked: count('relinked'), missing: count('missing'), present: count('present'), references };
}
