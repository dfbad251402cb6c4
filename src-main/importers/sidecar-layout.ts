// The rules for a sidecar's row segments (README, "Activations: the sidecar format"), shard by shard:
// each segment names a known document and stays within its tokens or tiles; no token and no tile is
// given rows twice (a second row would silently replace the first's activations, and leave another
// token without any); and all rows of a document are in one shard (mining reads a document's example
// rows from one shard). Errors name the sidecar, the segment and the token range or tile at fault.
import type { StoredSegment } from '../store/corpora';
import { badFile } from '../util/errors';
import type { RowRun } from './shard-scan';
import type { Sidecar, SidecarDocument, SidecarSegment } from './sidecar';

export interface ShardLayout {
  /** the stored segments, with `doc` the document's index in the sidecar's `documents` */
  segments: StoredSegment[];
  /** the rows as runs of content or special rows, for the import's finiteness check */
  runs: RowRun[];
  rows: number;
  contentRows: number;
}

interface DocumentState {
  index: number;
  doc: SidecarDocument;
  /** the shard that holds the document's rows, once a segment placed them */
  shard?: number;
  /** per token, the segment that covers it (index into `covers`), -1 when none yet */
  tokenOwner?: Int32Array;
  tileOwner: Map<number, string>;
}

function rangeText(s: SidecarSegment): string {
  if (s.kind === 'text') return `tokens ${s.start}..${s.start + s.count - 1}`;
  if (s.kind === 'image') return `tile ${s.tile}`;
  return `${s.count} special rows`;
}

export class SidecarLayoutChecker {
  private readonly documents = new Map<string, DocumentState>();
  private readonly shardNames: string[] = [];
  /** text segments that cover tokens, by owner index: where they are and what they cover */
  private readonly covers: { where: string; start: number; count: number }[] = [];

  constructor(
    private readonly file: string,
    sidecar: Sidecar,
  ) {
    sidecar.documents.forEach((doc, index) => this.documents.set(doc.id, { index, doc, tileOwner: new Map() }));
  }

  /** Checks shard `i`'s segments against the documents and the shards before it. */
  addShard(i: number, shardName: string, segments: readonly SidecarSegment[]): ShardLayout {
    this.shardNames[i] = shardName;
    const out: ShardLayout = { segments: [], runs: [], rows: 0, contentRows: 0 };
    segments.forEach((s, j) => {
      const where = `shards[${i}].segments[${j}]`;
      const state = this.documents.get(s.document);
      if (!state)
        throw badFile(
          this.file,
          `${where}.document`,
          'the id of a document in "documents"',
          JSON.stringify(s.document),
        );
      const { doc } = state;
      if (state.shard !== undefined && state.shard !== i) {
        throw badFile(
          this.file,
          `${where}.document`,
          `all rows of document "${doc.id}" in one shard (they begin in shards[${state.shard}], ${this.shardNames[state.shard]})`,
          `rows in ${shardName} (${rangeText(s)})`,
        );
      }
      state.shard = i;
      const label = `document "${doc.id}"`;
      if (s.kind === 'text') {
        this.claimTokens(state, where, s.start, s.count);
        out.segments.push({ doc: state.index, kind: 'text', start: s.start, count: s.count });
        out.runs.push({ count: s.count, describe: (k) => `${label}, token ${s.start + k}` });
        out.rows += s.count;
        out.contentRows += s.count;
      } else if (s.kind === 'special') {
        out.segments.push({ doc: state.index, kind: 'special', count: s.count });
        out.runs.push({ count: s.count });
        out.rows += s.count;
      } else {
        const grid = doc.tiles?.[s.tile];
        if (!grid)
          throw badFile(
            this.file,
            `${where}.tile`,
            `a tile index below ${doc.tiles?.length ?? 0} (the tiles of document "${doc.id}")`,
            `${s.tile}`,
          );
        const owner = state.tileOwner.get(s.tile);
        if (owner !== undefined)
          throw badFile(
            this.file,
            `${where}.tile`,
            `a tile of ${label} that no other row covers (${owner} covers tile ${s.tile})`,
            `tile ${s.tile}`,
          );
        state.tileOwner.set(s.tile, where);
        out.segments.push({
          doc: state.index,
          kind: 'image',
          tile: s.tile,
          rows: grid.rows,
          cols: grid.cols,
          newline: s.newline,
        });
        for (let y = 0; y < grid.rows; y++) {
          out.runs.push({ count: grid.cols, describe: (k) => `${label}, tile ${s.tile}, patch ${y * grid.cols + k}` });
          if (s.newline) out.runs.push({ count: 1 });
        }
        out.rows += grid.rows * (grid.cols + (s.newline ? 1 : 0));
        out.contentRows += grid.rows * grid.cols;
      }
    });
    return out;
  }

  private claimTokens(state: DocumentState, where: string, start: number, count: number): void {
    const n = state.doc.tokens?.length ?? 0;
    if (start + count > n) {
      throw badFile(
        this.file,
        `${where}.start`,
        `token positions within document "${state.doc.id}" (${n} tokens)`,
        `${start}..${start + count - 1}`,
      );
    }
    const owners = (state.tokenOwner ??= new Int32Array(n).fill(-1));
    for (let t = start; t < start + count; t++) {
      if (owners[t] < 0) continue;
      const other = this.covers[owners[t]];
      throw badFile(
        this.file,
        where,
        `tokens of document "${state.doc.id}" that no other row covers (${other.where} covers tokens ${other.start}..${other.start + other.count - 1})`,
        `tokens ${start}..${start + count - 1}`,
      );
    }
    owners.fill(this.covers.length, start, start + count);
    this.covers.push({ where, start, count });
  }
}
