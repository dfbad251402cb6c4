// The last step of mining: re-encode only the chosen example documents, with a graph that returns
// just the features that chose each document, and turn the result into per-token and per-patch
// arrays (token_acts_json aligned with the document's tokens; patch_acts_json row-major over the
// base tile, tile 0). Documents are read segment by segment, so no corpus-sized map is built.
import type { EngineClient } from '../engine/client';
import type { CorpusRecord } from '../importers/corpus-store';
import type { Db } from '../store/db';
import { segmentRowCount, type StoredSegment } from './layout';
import { DenseShardReader } from './shard-reader';

interface DocPart {
  shard: number;
  /** row of the segment's first row within its shard */
  offset: number;
  seg: StoredSegment;
}

export interface ExampleActivations {
  doc: number;
  feature: number;
  max: number;
  tokenActs: number[] | null;
  patchActs: number[] | null;
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

const contentRows = (p: DocPart) => (p.seg.kind === 'text' ? p.seg.count : p.seg.kind === 'image' ? p.seg.rows * p.seg.cols : 0);
const round = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Calls `emit` with the activation arrays of every (document, feature) pair in `wanted` (doc ->
 * features), in groups of documents small enough that the selected-features graph stays cheap.
 */
export async function computeExampleActivations(
  db: Db,
  client: EngineClient,
  saeId: string,
  dIn: number,
  corpus: CorpusRecord,
  wanted: Map<number, number[]>,
  emit: (e: ExampleActivations) => void,
  checkCancelled: () => void,
  options: { groupRows?: number; groupFeatures?: number } = {},
): Promise<void> {
  const groupRows = options.groupRows ?? 512;
  const groupFeatures = options.groupFeatures ?? 2048;
  const parts = locateDocuments(corpus, wanted);
  const readers = new Map<number, DenseShardReader>();
  const reader = (i: number) => readers.get(i) ?? readers.set(i, new DenseShardReader(corpus.shards[i], dIn)).get(i)!;
  const docInfo = db.prepare('SELECT tokens_json, meta_json FROM documents WHERE id = ?');
  let releaseEncoder = true;
  try {
    let group: number[] = [];
    let rows = 0;
    const features = new Set<number>();
    const flush = async () => {
      if (group.length === 0) return;
      checkCancelled();
      await encodeGroup(group, rows, [...features].sort((a, b) => a - b));
      group = [];
      rows = 0;
      features.clear();
    };
    const encodeGroup = async (docs: number[], n: number, union: number[]) => {
      const x = new Float32Array(n * dIn);
      let at = 0;
      const layout: { doc: number; at: number; part: DocPart }[] = [];
      for (const doc of docs) {
        for (const part of parts.get(doc) ?? []) {
          layout.push({ doc, at, part });
          const r = reader(part.shard);
          const s = part.seg;
          if (s.kind === 'image' && s.newline) {
            for (let y = 0; y < s.rows; y++) r.readRun(part.offset + y * (s.cols + 1), part.offset + y * (s.cols + 1) + s.cols, x, at + y * s.cols);
          } else {
            r.readRun(part.offset, part.offset + contentRows(part), x, at);
          }
          at += contentRows(part);
        }
      }
      const column = new Map(union.map((f, c) => [f, c]));
      const { acts } = await client.encodeSelected(saeId, x, Int32Array.from(union), { releaseEncoder });
      releaseEncoder = false;
      const F = union.length;
      for (const doc of docs) {
        const info = docInfo.get(doc) as { tokens_json: string | null; meta_json: string };
        const nTokens = info.tokens_json ? (JSON.parse(info.tokens_json) as unknown[]).length : 0;
        const tiles = (JSON.parse(info.meta_json) as { tiles?: { rows: number; cols: number }[] }).tiles;
        const base = tiles?.[0];
        for (const f of wanted.get(doc)!) {
          const c = column.get(f)!;
          const tokenActs = nTokens > 0 ? new Array<number>(nTokens).fill(0) : null;
          const patchActs = base ? new Array<number>(base.rows * base.cols).fill(0) : null;
          let max = 0;
          for (const { doc: d, at: start, part } of layout) {
            if (d !== doc) continue;
            const s = part.seg;
            const count = contentRows(part);
            for (let i = 0; i < count; i++) {
              const v = acts[(start + i) * F + c];
              if (v > max) max = v;
              if (s.kind === 'text' && tokenActs) tokenActs[s.start + i] = round(v);
              else if (s.kind === 'image' && s.tile === 0 && patchActs) patchActs[i] = round(v);
            }
          }
          emit({ doc, feature: f, max, tokenActs, patchActs, patchRows: base?.rows ?? null, patchCols: base?.cols ?? null });
        }
      }
    };
    for (const [doc, feats] of wanted) {
      const n = (parts.get(doc) ?? []).reduce((a, p) => a + contentRows(p), 0);
      const grown = new Set([...features, ...feats]).size;
      if (group.length > 0 && (rows + n > groupRows || grown > groupFeatures)) await flush();
      group.push(doc);
      rows += n;
      for (const f of feats) features.add(f);
    }
    await flush();
  } finally {
    for (const r of readers.values()) r.close();
  }
}
