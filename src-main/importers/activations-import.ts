// `import-activations` for dense shards described by a sidecar: validate everything first (sidecar
// against each shard's header, segments against documents and each other (sidecar-layout.ts), images
// regular files with sane headers, content rows finite), hash the shards, then
// write the corpus, documents, media and shard references in one transaction. A bad input writes nothing.
import path from 'node:path';
import type { ImportActivationsResult } from '../contract/imports';
import type { Project } from '../project/project';
import { hashFile } from '../engine/formats/hashing';
import { badFile } from '../util/errors';
import type { StoredSegment } from '../store/corpora';
import { insertCorpus, insertDocument, insertShard } from '../store/corpora';
import { readDenseShardHeader, type DenseShardHeader } from './dense-shard';
import { readSidecar, type SidecarDocument } from './sidecar';
import { SidecarLayoutChecker, type ShardLayout } from './sidecar-layout';
import { scanDenseShard } from './shard-scan';
import { readImage } from './images';
import type { ImportProgress } from './import-progress';

// The result's shape is the contract's (activations.import), declared once there.
export type { ImportActivationsResult } from '../contract/imports';

export async function importDenseActivations(
  project: Project,
  sidecarPath: string,
  corpusName?: string,
  progress?: ImportProgress,
): Promise<ImportActivationsResult> {
  const sidecarFile = path.resolve(sidecarPath);
  const file = path.basename(sidecarFile);
  const base = path.dirname(sidecarFile);
  const sidecar = readSidecar(sidecarFile);
  const layouts = new SidecarLayoutChecker(file, sidecar);

  const shards: { path: string; header: DenseShardHeader; layout: ShardLayout }[] = [];
  let rows = 0;
  let contentRows = 0;
  sidecar.shards.forEach((shard, i) => {
    const shardPath = path.resolve(base, shard.path);
    const header = readDenseShardHeader(shardPath, shard.tensor, { file, field: `shards[${i}].path` }, `shards[${i}]`);
    const shardName = path.basename(shardPath);
    if (header.shape[1] !== sidecar.d_in) {
      throw badFile(
        shardName,
        'shape',
        `[n_tokens, ${sidecar.d_in}] (${file} says d_in ${sidecar.d_in})`,
        `[${header.shape.join(', ')}]`,
      );
    }
    const layout = layouts.addShard(i, shardName, shard.segments);
    if (layout.rows !== header.shape[0]) {
      throw badFile(
        file,
        `shards[${i}].segments`,
        `${header.shape[0]} rows in total (the rows of ${shardName})`,
        `${layout.rows} rows`,
      );
    }
    rows += layout.rows;
    contentRows += layout.contentRows;
    shards.push({ path: shardPath, header, layout });
  });

  // Images are checked here and read again in the transaction, so only one is in memory at a time.
  const imagePath = (d: SidecarDocument) => path.resolve(base, d.image!);
  sidecar.documents.forEach((d, i) => d.image && readImage(imagePath(d), file, `documents[${i}].image`));
  // One read per shard: its sha256, and every content row checked finite (shard-scan.ts says why).
  const steps = shards.length + 1;
  const hashes = shards.map((s, i) => {
    progress?.(i, steps, `checking and hashing ${path.basename(s.path)}`);
    return scanDenseShard(s.path, s.header, s.layout.runs);
  });
  const sidecarHash = await hashFile(sidecarFile);
  progress?.(shards.length, steps, `writing ${sidecar.documents.length} documents`);

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
    const docIds = sidecar.documents.map((d, i) => {
      const image = d.image ? readImage(imagePath(d), file, `documents[${i}].image`) : undefined;
      const media = image
        ? project.media.put(
            image.bytes,
            image.mime,
            { width: image.width, height: image.height },
            path.basename(d.image!),
          )
        : undefined;
      const kind = media && d.tokens ? 'multimodal' : media ? 'image' : 'text';
      const meta = { ...(d.meta ?? {}), ...(d.tiles ? { tiles: d.tiles } : {}) };
      return insertDocument(project.db, id, {
        externalId: d.id,
        kind,
        text: d.text ?? (d.tokens ? d.tokens.join('') : null),
        tokens: d.tokens ?? null,
        mediaSha256: media?.sha256 ?? null,
        meta,
      });
    });
    shards.forEach((s, i) => {
      const segments: StoredSegment[] = s.layout.segments.map((seg) => ({ ...seg, doc: docIds[seg.doc] }));
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
        rows: s.layout.rows,
        layout: { segments },
      });
    });
    return id;
  })();
  return { corpusId, corpus: name, documents: sidecar.documents.length, shards: shards.length, rows, contentRows };
}
