// A one-shard `sightline.activations/1` corpus written by hand (the independent safetensors writer
// of tests/engine/fixtures.ts), for tests that need a labelled corpus of known rows (probes).
import fs from 'node:fs';
import path from 'node:path';
import { safetensorsBytes } from '../engine/fixtures';

export interface SidecarCorpus {
  dIn: number;
  layer: number;
  /** every row's values, row after row, in segment order */
  rows: number[];
  documents: unknown[];
  segments: unknown[];
}

/** Writes acts.safetensors and activations.json into `folder`; returns the sidecar's path. */
export function writeSidecarCorpus(folder: string, corpus: SidecarCorpus): string {
  fs.mkdirSync(folder, { recursive: true });
  const data = Float32Array.from(corpus.rows);
  fs.writeFileSync(
    path.join(folder, 'acts.safetensors'),
    safetensorsBytes([{ name: 'activations', shape: [data.length / corpus.dIn, corpus.dIn], data }]),
  );
  const sidecar = {
    format: 'sightline.activations/1',
    d_in: corpus.dIn,
    layer: corpus.layer,
    documents: corpus.documents,
    shards: [{ path: 'acts.safetensors', tensor: 'activations', segments: corpus.segments }],
  };
  const file = path.join(folder, 'activations.json');
  fs.writeFileSync(file, JSON.stringify(sidecar));
  return file;
}
