// `import-activations` for dense shards described by a sidecar: validate everything first (sidecar
// against each shard's header, segments against documents, images present), hash the shards, then
// write the corpus, documents, media and shard references in one transaction. A bad input writes nothing.
import fs from 'node:fs';
import path from 'node:path';
import type { Project } from '../project/project';
import { hashFile } from '../engine/formats/hashing';
import { badFile } from '../util/errors';
import { segmentRowCount, type StoredSegment } from '../mining/layout';
import { insertCorpus, insertDocument, insertShard } from './corpus-store';
import { readDenseShardHeader, type DenseShardHeader } from './dense-shard';
import { checkSegment, readSidecar, type SidecarDocument } from './sidecar';
import { readImage } from './images';

export interface ImportActivationsResult {
  corpusId: number;
  corpus: string;
  documents: number;
  shards: number;
  rows: number;
  contentRows: number;
}

export async function importDenseActivations(project: Project, sidecarPath: string, corpusName?: string): Promise<ImportActivationsResult> {
  const sidecarFile = path.resolve(sidecarPath);
  const file = path.basename(sidecarFile);
  const base = path.dirname(sidecarFile);
  const sidecar = readSidecar(sidecarFile);
  const docs = new Map<string, SidecarDocument>(sidecar.documents.map((d) => [d.id, d]));

  const shards: { path: string; header: DenseShardHeader; segments: typeof sidecar.shards[number]['segments'] }[] = [];
  let rows = 0;
  let contentRows = 0;
  sidecar.shards.forEach((shard, i) => {
    const shardPath = path.resolve(base, shard.path);
    if (!fs.existsSync(shardPath)) throw badFile(file, `shards[${i}].path`, 'an existing shard file (relative to the sidecar)', shard.path);
    const header = readDenseShardHeader(shardPath, shard.tensor, `shards[${i}]`);
    const shardName = path.basename(shardPath);
    if (header.shape[1] !== sidecar.d_in) {
      throw badFile(shardName, 'shape', `[n_tokens, ${sidecar.d_in}] (${file} says d_in ${sidecar.d_in})`, `[${header.shape.join(', ')}]`);
    }
    let shardRows = 0;
    shard.segments.forEach((s, j) => {
      const n = checkSegment(file, `shards[${i}].segments[${j}]`, s, docs.get(s.document));
      shardRows += n;
      if (s.kind === 'text') contentRows += n;
      if (s.kind === 'image') contentRows += n - (s.newline ? docs.get(s.document)!.tiles![s.tile].rows : 0);
    });
    if (shardRows !== header.shape[0]) {
      throw badFile(file, `shards[${i}].segments`, `${header.shape[0]} rows in total (the rows of ${shardName})`, `${shardRows} rows`);
    }
    rows += shardRows;
    shards.push({ path: shardPath, header, segments: shard.segments });
  });

  const images = new Map<string, ReturnType<typeof readImage>>();
  sidecar.documents.forEach((d, i) => {
    if (d.image) images.set(d.id, readImage(path.resolve(base, d.image), file, `documents[${i}].image`));
  });
  const hashes: { size: number; sha256: string }[] = [];
  for (const s of shards) hashes.push(await hashFile(s.path));
  const sidecarHash = await hashFile(sidecarFile);

  const name = corpusName ?? path.basename(base);
  const corpusId = project.db.transaction(() => {
    const id = insertCorpus(project.db, name, `imported from ${file}`, {
      format: sidecar.format,
      sidecar: sidecarHash,
      dIn: sidecar.d_in,
      model: sidecar.model ?? null,
      layer: sidecar.layer ?? null,
      hookPoint: sidecar.hook_point ?? null,
    });
    const docIds = new Map<string, number>();
    for (const d of sidecar.documents) {
      const image = images.get(d.id);
      const media = image ? project.media.put(image.bytes, image.mime, { width: image.width, height: image.height }, path.basename(d.image!)) : undefined;
      const kind = media && d.tokens ? 'multimodal' : media ? 'image' : 'text';
      const meta = { ...(d.meta ?? {}), ...(d.tiles ? { tiles: d.tiles } : {}) };
      docIds.set(d.id, insertDocument(project.db, id, { externalId: d.id, kind, text: d.text ?? (d.tokens ? d.tokens.join('') : null), tokens: d.tokens ?? null, mediaSha256: media?.sha256 ?? null, meta }));
    }
    shards.forEach((s, i) => {
      const segments: StoredSegment[] = s.segments.map((seg) => {
        const doc = docIds.get(seg.document)!;
        if (seg.kind === 'image') {
          const grid = docs.get(seg.document)!.tiles![seg.tile];
          return { doc, kind: 'image', tile: seg.tile, rows: grid.rows, cols: grid.cols, newline: seg.newline };
        }
        return seg.kind === 'text' ? { doc, kind: 'text', start: seg.start, count: seg.count } : { doc, kind: 'special', count: seg.count };
      });
      const n = segments.reduce((a, seg) => a + segmentRowCount(seg), 0);
      insertShard(project, id, {
        ordinal: i,
        kind: 'dense',
        container: s.header.container,
        path: s.path,
        size: hashes[i].size,
        sha256: hashes[i].sha256,
        dtype: s.header.dtype,
        shape: s.header.shape,
        dataOffset: s.header.dataOffset,
        rows: n,
        layout: { segments },
      });
    });
    return id;
  })();
  return { corpusId, corpus: name, documents: sidecar.documents.length, shards: shards.length, rows, contentRows };
}
