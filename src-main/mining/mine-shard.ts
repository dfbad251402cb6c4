// `mine --shard i/n` (issue 14): array task i of n mines a contiguous block of the corpus's documents
// (in corpus order: the order their first rows appear in the shard files) and, instead of writing
// features, saves its accumulators into a shard folder: `mine-shard.bin` (FeatureAccumulators.arrays())
// and `mine-shard.json`, the record of what was mined with which settings (written last, so a folder
// with it holds a finished shard). `sightline merge` adds the accumulators exactly (merge-shards.ts).
// The samples stay exact across shards because their hash keys number each row among the whole
// corpus's content rows, as one unsharded pass does.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CorpusRecord } from '../store/corpora';
import { AppError, badFile } from '../util/errors';
import type { SaeRecord } from '../store/saes';
import { shardRange, shardText, type Shard } from '../util/shard-slice';
import { ACCUMULATOR_LAYOUT, FeatureAccumulators } from './accumulators';
import type { SelectSettings } from './select';
import { segmentRowCount, type StoredSegment } from './layout';

export const SHARD_RECORD = 'mine-shard.json';
export const SHARD_ARRAYS = 'mine-shard.bin';

/** Rows a segment gives the encoder: image-newline and special rows are never encoded. */
export function contentRowsOf(seg: StoredSegment): number {
  if (seg.kind === 'special') return 0;
  return segmentRowCount(seg) - (seg.kind === 'image' && seg.newline ? seg.rows : 0);
}

/** Content rows of every file of the corpus, in order. */
export function contentRowsPerFile(corpus: CorpusRecord): number[] {
  return corpus.shards.map((s) => (s.layout.segments ?? []).reduce((n, seg) => n + contentRowsOf(seg), 0));
}

export interface ShardPlan {
  shard: Shard;
  /** the block of the corpus's documents (by corpus order) this shard mines: [from, to) */
  from: number;
  to: number;
  documentCount: number;
  documents: Set<number>;
  /** content rows of this shard's documents: the pass's total */
  tokens: number;
  /** content rows of the corpus's files before each file (the token numbering's offset) */
  contentBefore: number[];
}

export function planMineShard(corpus: CorpusRecord, shard: Shard): ShardPlan {
  const order: number[] = [];
  const seen = new Set<number>();
  const rows = new Map<number, number>();
  for (const file of corpus.shards) {
    for (const seg of file.layout.segments ?? []) {
      if (!seen.has(seg.doc)) seen.add(seg.doc), order.push(seg.doc);
      rows.set(seg.doc, (rows.get(seg.doc) ?? 0) + contentRowsOf(seg));
    }
  }
  const { from, to } = shardRange(order.length, shard);
  const documents = new Set(order.slice(from, to));
  let tokens = 0;
  for (const doc of documents) tokens += rows.get(doc) ?? 0;
  const contentBefore: number[] = [];
  let before = 0;
  for (const n of contentRowsPerFile(corpus)) contentBefore.push(before), (before += n);
  return { shard, from, to, documentCount: order.length, documents, tokens, contentBefore };
}

/** The sha256 of the corpus's file hashes in order ("<sha256>\n" each), as export provenance gives it. */
export function corpusSha256(corpus: CorpusRecord): string {
  const hash = crypto.createHash('sha256');
  for (const s of corpus.shards) hash.update(`${s.sha256}\n`);
  return hash.digest('hex');
}

/**
 * What every shard of one sharded mine shares; merge refuses shards that differ in any field,
 * naming it. Batch size, provider and threads are absent: they do not change the result.
 */
export interface MineShardSettings {
  sae: string;
  saeId: number;
  saeSha256: string | null;
  dSae: number;
  corpus: string;
  corpusId: number;
  corpusSha256: string;
  documents: number;
  top: number;
  k: number;
  scheme: string;
  quantiles: number;
  perQuantile: number;
  modalityShare: number;
  accumulators: number;
  countsExact: boolean;
  shards: number;
}

export interface MineShardRecord {
  kind: 'sightline-mine-shard';
  settings: MineShardSettings;
  shard: string;
  index: number;
  /** the block of documents (corpus order) it mined */
  documentsFrom: number;
  documentsTo: number;
  tokens: number;
  provider: string;
  providerReason: string;
  /** sha256 of mine-shard.bin */
  arraysSha256: string;
}

/**
 * Default shard folder: <project>/mine-shards/<sae>/<i>-of-<n> (the SAE's name made file-safe); not
 * under shards/, whose `*-of-<n>` folders the sweep job files hand to merge as sweep shards.
 */
export function defaultShardDir(projectDir: string, sae: string, shard: Shard): string {
  const safe = sae.replace(/[^A-Za-z0-9._-]+/g, '_');
  return path.join(projectDir, 'mine-shards', safe, `${shard.index}-of-${shard.count}`);
}

function writeAtomically(file: string, chunks: readonly Uint8Array[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    for (const c of chunks) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** Saves a finished shard: the arrays, then the record that vouches for them. */
export function writeShardFolder(
  dir: string,
  record: Omit<MineShardRecord, 'kind' | 'arraysSha256'>,
  acc: FeatureAccumulators,
): MineShardRecord {
  fs.mkdirSync(dir, { recursive: true });
  // A run again over a finished folder: the old record goes first, so no moment pairs it with new arrays.
  fs.rmSync(path.join(dir, SHARD_RECORD), { force: true });
  const chunks = acc.arrays().map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const hash = crypto.createHash('sha256');
  for (const c of chunks) hash.update(c);
  writeAtomically(path.join(dir, SHARD_ARRAYS), chunks);
  const full: MineShardRecord = { kind: 'sightline-mine-shard', ...record, arraysSha256: hash.digest('hex') };
  writeAtomically(path.join(dir, SHARD_RECORD), [Buffer.from(`${JSON.stringify(full, null, 2)}\n`)]);
  return full;
}

/** How the shard was mined: the settings every shard must share, and what encoded this one. */
export interface MinedWith {
  top: number;
  k: number;
  select: SelectSettings;
  countsExact: boolean;
  provider: { provider: string; reason: string };
}

/** Writes a finished shard's folder; answers the number of features that fired in it. */
export function saveMineShard(
  dir: string,
  plan: ShardPlan,
  sae: SaeRecord,
  corpus: CorpusRecord,
  mined: MinedWith,
  acc: FeatureAccumulators,
): number {
  const settings: MineShardSettings = {
    sae: sae.name,
    saeId: sae.id,
    saeSha256: sae.sha256,
    dSae: sae.dSae,
    corpus: corpus.name,
    corpusId: corpus.id,
    corpusSha256: corpusSha256(corpus),
    documents: plan.documentCount,
    top: mined.top,
    k: mined.k,
    ...mined.select,
    accumulators: ACCUMULATOR_LAYOUT,
    countsExact: mined.countsExact,
    shards: plan.shard.count,
  };
  writeShardFolder(
    dir,
    {
      settings,
      shard: shardText(plan.shard),
      index: plan.shard.index,
      documentsFrom: plan.from,
      documentsTo: plan.to,
      tokens: acc.tokens,
      provider: mined.provider.provider,
      providerReason: mined.provider.reason,
    },
    acc,
  );
  let alive = 0;
  for (let f = 0; f < sae.dSae; f++) if (acc.fires[f] > 0) alive++;
  return alive;
}

export function isMineShardFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, SHARD_RECORD));
}

export interface MineShardContents {
  dir: string;
  record: MineShardRecord;
  acc: FeatureAccumulators;
}

/** Reads a finished shard folder, checking its arrays against the record. */
export function readShardFolder(dir: string): MineShardContents {
  const absolute = path.resolve(dir);
  const recordFile = path.join(absolute, SHARD_RECORD);
  if (!fs.existsSync(recordFile))
    throw new AppError(
      'not_found',
      `${absolute}: no ${SHARD_RECORD} (not a finished \`sightline mine --shard i/n\` folder)`,
    );
  let record: MineShardRecord;
  try {
    record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as MineShardRecord;
  } catch (error) {
    throw badFile(recordFile, '(file)', 'JSON', (error as Error).message);
  }
  if (record?.kind !== 'sightline-mine-shard' || typeof record.settings !== 'object' || record.settings === null)
    throw badFile(recordFile, 'kind', '"sightline-mine-shard" with settings');
  const arraysFile = path.join(absolute, SHARD_ARRAYS);
  if (!fs.existsSync(arraysFile)) throw badFile(arraysFile, '(file)', `the arrays ${SHARD_RECORD} names`, 'none');
  const blob = fs.readFileSync(arraysFile);
  const sha = crypto.createHash('sha256').update(blob).digest('hex');
  if (sha !== record.arraysSha256)
    throw badFile(arraysFile, 'sha256', `${record.arraysSha256} (as ${SHARD_RECORD} records)`, sha);
  let acc: FeatureAccumulators;
  try {
    acc = FeatureAccumulators.restore(record.settings.dSae, record.settings.top, blob);
  } catch (error) {
    throw badFile(arraysFile, '(size)', `the layout of d_sae ${record.settings.dSae}`, (error as Error).message);
  }
  return { dir: absolute, record, acc };
}
