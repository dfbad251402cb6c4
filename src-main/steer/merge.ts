// sweeps.merge (`sightline merge --into DIR SHARD_DIRS…`): the generations of a sharded sweep (`sweep --shard i/n`,
// each shard in its own project folder) brought into one project. Every shard must hold the same
// sweep (same spec, so the same id); a difference is refused naming the field. A cell already in the
// target is skipped, so merging twice, or merging a shard again after it finished, changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import type { SweepMergeSummary } from '../contract/sweeps';
import { openProject, isProjectDir, type Project } from '../project/project';
import {
  listSweepGenerations,
  listSweepSteeringSpecs,
  sweepCellsDone,
  writeSpecGenerations,
  type SpecAndGeneration,
  type SteeringSpecRow,
} from '../store/steering';
import { AppError } from '../util/errors';
import { firstDifference, gridKs, type SweepSpec } from './sweep-spec';

// The summary's shape is the contract's (sweeps.merge), declared once there.
type StoredSweep = SweepSpec & { id: string };

interface ShardContents {
  dir: string;
  sweep: StoredSweep;
  specs: Map<string, SteeringSpecRow>;
  rows: SpecAndGeneration[];
  cells: number[];
  /** the shard's media that its generations show (`sweep --images`), by sha256 */
  media: Map<string, ShardMedia>;
}

interface ShardMedia {
  file: string;
  mime: string;
  width: number | null;
  height: number | null;
}

function readShard(dir: string): ShardContents {
  const absolute = path.resolve(dir);
  if (!isProjectDir(absolute))
    throw new AppError(
      'not_found',
      `${absolute}: not a Sightline project (a shard folder that \`sightline sweep --shard i/n\` wrote)`,
    );
  const shard = openProject(absolute);
  try {
    const specs = new Map(listSweepSteeringSpecs(shard.db).map((spec) => [spec.name, spec]));
    const sweeps = new Map<string, StoredSweep>();
    for (const spec of specs.values()) {
      const sweep = (JSON.parse(spec.specJson) as { sweep: StoredSweep }).sweep;
      sweeps.set(sweep.id, sweep);
    }
    if (sweeps.size === 0) throw new AppError('invalid_input', `${absolute}: holds no sweep generations`);
    if (sweeps.size > 1)
      throw new AppError(
        'invalid_input',
        `${absolute}: holds ${sweeps.size} different sweeps (${[...sweeps.keys()].join(', ')}); a shard holds one`,
      );
    const rows = listSweepGenerations(shard.db).map((g) => ({
      spec: specs.get(g.specName)!,
      generation: {
        prompt: g.prompt,
        mediaSha256: g.mediaSha256,
        outputText: g.outputText,
        meta: JSON.parse(g.metaJson) as { sweep: { cell: number } },
        createdAt: g.createdAt,
      },
    }));
    const media = new Map<string, ShardMedia>();
    for (const { generation } of rows) {
      const sha256 = generation.mediaSha256;
      if (sha256 === null || media.has(sha256)) continue;
      const info = shard.media.get(sha256);
      const servable = shard.media.servable(sha256);
      if (!info || !servable)
        throw new AppError(
          'not_found',
          `${absolute}: media/${sha256.slice(0, 2)}/${sha256}: a generation's image is missing`,
        );
      media.set(sha256, { file: servable.file, mime: info.mime, width: info.width, height: info.height });
    }
    return {
      dir: absolute,
      sweep: [...sweeps.values()][0],
      specs,
      rows,
      cells: rows.map((r) => r.generation.meta.sweep.cell),
      media,
    };
  } finally {
    shard.close();
  }
}

/** Reads and checks every shard, then (only then) writes into the target. */
export function mergeShards(into: Project, shardDirs: readonly string[]): SweepMergeSummary {
  if (shardDirs.length === 0) throw new AppError('invalid_input', 'merge: name at least one shard folder');
  // Every shard is read and checked before anything is written.
  const shards = shardDirs.map(readShard);
  const first = shards[0];
  for (const shard of shards.slice(1)) {
    if (shard.sweep.id === first.sweep.id) continue;
    // The id is the spec's hash: any difference shows in it, so the field named is one of the spec's.
    const specOf = ({ id: _id, ...spec }: StoredSweep) => spec;
    const field = firstDifference(specOf(first.sweep), specOf(shard.sweep)) ?? 'id';
    const value = (spec: StoredSweep) =>
      JSON.stringify(
        field.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], spec),
      );
    throw new AppError(
      'invalid_input',
      `shards of different sweeps: ${field} is ${value(first.sweep)} in ${first.dir} but ${value(shard.sweep)} in ${shard.dir}`,
      {
        field,
        shards: [first.dir, shard.dir],
      },
    );
  }
  return mergeInto(into, shards);
}

function mergeInto(into: Project, shards: ShardContents[]): SweepMergeSummary {
  const first = shards[0];
  const sweepId = first.sweep.id;
  const present = new Set(sweepCellsDone(into.db, sweepId));
  let alreadyPresent = 0;
  const fresh: SpecAndGeneration[] = [];
  for (const shard of shards) {
    shard.rows.forEach((row, index) => {
      const cell = shard.cells[index];
      if (present.has(cell)) alreadyPresent++;
      else {
        present.add(cell);
        fresh.push(row);
      }
    });
  }
  // The images first (content-addressed, so one stored before a failure is harmless), then the
  // generations in one transaction: the merge lands whole or not at all.
  for (const sha256 of new Set(fresh.map((row) => row.generation.mediaSha256))) {
    if (sha256 === null || into.media.get(sha256)) continue;
    const source = shards.map((shard) => shard.media.get(sha256)).find(Boolean)!;
    const stored = into.media.put(fs.readFileSync(source.file), source.mime, {
      ...(source.width !== null ? { width: source.width } : {}),
      ...(source.height !== null ? { height: source.height } : {}),
    });
    if (stored.sha256 !== sha256)
      throw new AppError('invalid_input', `${source.file}: its bytes no longer have the sha256 its name says`);
  }
  writeSpecGenerations(into.db, fresh);
  return {
    sweepId,
    shards: shards.length,
    added: fresh.length,
    alreadyPresent,
    present: present.size,
    cells: first.sweep.prompts.count * gridKs(first.sweep).length,
  };
}
