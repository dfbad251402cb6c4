// The last step of mining: re-encode only the chosen example documents, with a graph that returns
// just the features that chose each document, and turn the result into per-token and per-patch
// arrays (token_acts_json aligned with the document's tokens; patch_acts_json row-major over every
// tile in tile order, the base tile first and then each anyres tile, so the feature page can show
// them separately as issue 3 asks). Documents are read segment by segment, so no corpus-sized map
// is built. Arrays are stored in store/acts-json.ts's form (sparse when shorter).
//
// This phase touches ~32 examples for each of d_sae features (a million rows for the paper's SAE),
// so it is written for speed: groups are planned up front and the engine encodes group g+1 while
// this thread turns group g into JSON and rows (double buffering, as in the main pass), the JSON is
// built by hand (encodeActs: half the cost of JSON.stringify of a fresh array, less when sparse), and
// callers pass what they need back per example so nothing is looked up in string-keyed maps.
import type { EngineClient } from '../engine/client';
import type { EncodeSelectedResult } from '../engine/protocol';
import { documentShapeReader, type CorpusRecord } from '../store/corpora';
import { encodeActs } from '../store/acts-json';
import type { Db } from '../store/db';
import { segmentRowCount, type StoredSegment } from './layout';
import { DenseShardReader } from './shard-reader';

interface DocPart {
  shard: number;
  /** row of the segment's first row within its shard */
  offset: number;
  seg: StoredSegment;
}

/** One example to fill: which feature; `tag` is handed back untouched (e.g. bucket and rank). */
export interface WantedExample<T> {
  feature: number;
  tag: T;
}

export interface ExampleActivations<T> {
  doc: number;
  feature: number;
  tag: T;
  max: number;
  /** encodeActs of the values (patches: every tile, concatenated); null when the document has no tokens / no image */
  tokenActsJson: string | null;
  patchActsJson: string | null;
  patchRows: number | null;
  patchCols: number | null;
}

/** Where each wanted document's rows are: its segments with their shard and offset. */
function locateDocuments(corpus: CorpusRecord, wanted: ReadonlyMap<number, unknown>): Map<number, DocPart[]> {
  const parts = new Map<number, DocPart[]>();
  corpus.shards.forEach((shard, i) => {
    let offset = 0;
    for (const seg of shard.layout.segments ?? []) {
      if (wanted.has(seg.doc) && seg.kind !== 'special') {
        const list = parts.get(seg.doc) ?? [];
        list.push({ shard: i, offset, seg });
        parts.set(seg.doc, list);
      }
      offset += segmentRowCount(seg);
    }
  });
  return parts;
}

const contentRows = (p: DocPart) =>
  p.seg.kind === 'text' ? p.seg.count : p.seg.kind === 'image' ? p.seg.rows * p.seg.cols : 0;

interface Group {
  docs: number[];
  rows: number;
  features: number[];
}

/** Groups of documents small enough that the selected-features graph stays cheap. */
function planGroups(
  wanted: Map<number, WantedExample<unknown>[]>,
  parts: Map<number, DocPart[]>,
  groupRows: number,
  groupFeatures: number,
): Group[] {
  const groups: Group[] = [];
  let current: Group = { docs: [], rows: 0, features: [] };
  let features = new Set<number>();
  const close = () => {
    if (current.docs.length === 0) return;
    current.features = [...features].sort((a, b) => a - b);
    groups.push(current);
    current = { docs: [], rows: 0, features: [] };
    features = new Set();
  };
  for (const [doc, examples] of wanted) {
    const n = (parts.get(doc) ?? []).reduce((a, p) => a + contentRows(p), 0);
    if (current.docs.length > 0) {
      let added = 0;
      for (const e of examples) if (!features.has(e.feature)) added++;
      if (current.rows + n > groupRows || features.size + added > groupFeatures) close();
    }
    current.docs.push(doc);
    current.rows += n;
    for (const e of examples) features.add(e.feature);
  }
  close();
  return groups;
}

/**
 * Calls `emit` with the activation arrays of every (document, feature) pair in `wanted` (doc ->
 * examples), in groups of at most `groupRows` rows and `groupFeatures` distinct features (a single
 * document may exceed either).
 */
export async function computeExampleActivations<T>(
  db: Db,
  client: EngineClient,
  saeId: string,
  dIn: number,
  corpus: CorpusRecord,
  wanted: Map<number, WantedExample<T>[]>,
  emit: (e: ExampleActivations<T>) => void,
  checkCancelled: () => void,
  options: { groupRows?: number; groupFeatures?: number } = {},
): Promise<void> {
  const parts = locateDocuments(corpus, wanted);
  const groups = planGroups(
    wanted as Map<number, WantedExample<unknown>[]>,
    parts,
    options.groupRows ?? 512,
    options.groupFeatures ?? 2048,
  );
  const readers = new Map<number, DenseShardReader>();
  const reader = (i: number) => readers.get(i) ?? readers.set(i, new DenseShardReader(corpus.shards[i], dIn)).get(i)!;
  const docInfo = documentShapeReader(db);

  /** Reads a group's rows (content rows only, in part order) and starts encoding them. */
  let releaseEncoder = true;
  const start = (g: Group): Promise<EncodeSelectedResult> => {
    const x = new Float32Array(g.rows * dIn);
    let at = 0;
    for (const doc of g.docs) {
      for (const part of parts.get(doc) ?? []) {
        const r = reader(part.shard);
        const s = part.seg;
        if (s.kind === 'image' && s.newline) {
          for (let y = 0; y < s.rows; y++)
            r.readRun(part.offset + y * (s.cols + 1), part.offset + y * (s.cols + 1) + s.cols, x, at + y * s.cols);
        } else {
          r.readRun(part.offset, part.offset + contentRows(part), x, at);
        }
        at += contentRows(part);
      }
    }
    const promise = client.encodeSelected(saeId, x, Int32Array.from(g.features), { releaseEncoder });
    releaseEncoder = false;
    return promise;
  };

  const finish = (g: Group, acts: Float32Array) => {
    const F = g.features.length;
    const column = new Map(g.features.map((f, c) => [f, c]));
    let at = 0;
    for (const doc of g.docs) {
      const info = docInfo(doc);
      const nTokens = info.nTokens ?? 0;
      const tiles = (JSON.parse(info.meta_json) as { tiles?: { rows: number; cols: number }[] }).tiles ?? [];
      const base = tiles[0];
      // Where each tile's values start in patchActs (tile order), and the end.
      const tileStart = new Int32Array(tiles.length + 1);
      tiles.forEach((t, k) => (tileStart[k + 1] = tileStart[k] + t.rows * t.cols));
      const docParts = parts.get(doc) ?? [];
      const tokenActs = nTokens > 0 ? new Float32Array(nTokens) : null;
      const patchActs = base ? new Float32Array(tileStart[tiles.length]) : null;
      for (const e of wanted.get(doc)!) {
        const c = column.get(e.feature)!;
        tokenActs?.fill(0);
        patchActs?.fill(0);
        let max = 0;
        let row = at;
        for (const part of docParts) {
          const s = part.seg;
          const count = contentRows(part);
          // The importer takes image segments' grids from meta_json.tiles, so a tile's rows fit its slot.
          const patchAt = s.kind === 'image' && s.tile < tiles.length ? tileStart[s.tile] : -1;
          for (let i = 0; i < count; i++, row++) {
            const v = acts[row * F + c];
            if (v > max) max = v;
            if (s.kind === 'text' && tokenActs) tokenActs[s.start + i] = v;
            else if (patchAt >= 0 && patchActs) patchActs[patchAt + i] = v;
          }
        }
        emit({
          doc,
          feature: e.feature,
          tag: e.tag,
          max,
          tokenActsJson: tokenActs ? encodeActs(tokenActs) : null,
          patchActsJson: patchActs ? encodeActs(patchActs) : null,
          patchRows: base?.rows ?? null,
          patchCols: base?.cols ?? null,
        });
      }
      for (const part of docParts) at += contentRows(part);
    }
  };

  let inflight: Promise<EncodeSelectedResult> | undefined;
  try {
    inflight = groups.length > 0 ? start(groups[0]) : undefined;
    for (let i = 0; i < groups.length; i++) {
      checkCancelled();
      const { acts } = await inflight!;
      // The engine encodes the next group while this thread writes this one.
      inflight = i + 1 < groups.length ? start(groups[i + 1]) : undefined;
      finish(groups[i], acts);
    }
  } catch (error) {
    // A cancel or a failure must not leave an encode running: the caller then closes the engine,
    // and terminating the worker in the middle of session.run aborts the whole process.
    await inflight?.catch(() => undefined);
    throw error;
  } finally {
    for (const r of readers.values()) r.close();
  }
}
