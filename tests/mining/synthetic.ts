// A generated corpus with planted concepts: d_in 64, d_sae 96. Concept c has direction e_c (a basis
// vector); the SAE's encoder reads each direction with one feature (W_enc[:, c] = e_c, b_enc -0.5)
// and the decoder holds it. Documents: images (4x4 base tile + a 2x2 anyres tile, newline rows) plus
// caption tokens. Concept 0 fires on patches only (image-only), concept 1 on the word "red"
// (text-only), concept 2 on patches of "circle" images and on the word "circle" (shared). With
// `anyresPeak`, concept 3 fires on base patch 0 and harder on anyres tile 1, patch 3 of odd documents.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { npyBytes, safetensorsBytes, writeSaeLensDir, type RawSae } from '../engine/fixtures';

export const D_IN = 64;
export const D_SAE = 96;
export const CONCEPTS = { imageOnly: 0, textOnly: 1, shared: 2 };
/** Planted only with `anyresPeak`: its examples peak in the anyres tile, not the base grid. */
export const ANYRES_CONCEPT = 3;

export interface SyntheticCorpus {
  sidecar: string;
  /** dense activations of every row, in shard order, with each row's meta */
  rows: { doc: string; kind: 'text' | 'image' | 'special'; x: Float32Array; tile?: number; pos?: number }[];
  saeDir: string;
  sae: RawSae;
}

function png(dir: string, name: string, shade: number): string {
  const img = new PNG({ width: 8, height: 8 });
  img.data.fill(shade);
  const file = path.join(dir, name);
  fs.writeFileSync(file, PNG.sync.write(img));
  return name;
}

export function writeSyntheticCorpus(
  dir: string,
  options: { docs?: number; shards?: number; npy?: boolean; anyresPeak?: boolean } = {},
): SyntheticCorpus {
  fs.mkdirSync(dir, { recursive: true });
  const nDocs = options.docs ?? 12;
  const nShards = options.shards ?? 2;
  // SAE: feature j reads basis direction j (j < 64), others read random-ish combos that never fire.
  const W_enc = new Float32Array(D_IN * D_SAE);
  const W_dec = new Float32Array(D_SAE * D_IN);
  const b_enc = new Float32Array(D_SAE).fill(-0.5);
  for (let j = 0; j < D_SAE; j++) {
    const i = j % D_IN;
    W_enc[i * D_SAE + j] = j < D_IN ? 1 : -1;
    W_dec[j * D_IN + i] = 1;
  }
  const sae: RawSae = {
    architecture: 'relu',
    dIn: D_IN,
    dSae: D_SAE,
    W_enc,
    b_enc,
    W_dec,
    b_dec: new Float32Array(D_IN),
  };
  const saeDir = writeSaeLensDir(path.join(dir, 'sae'), sae, { applyBDecToInput: false });

  const rows: SyntheticCorpus['rows'] = [];
  const documents: unknown[] = [];
  const docSegments: { doc: string; segments: unknown[] }[] = [];
  const vec = (seed: number, concepts: [number, number][]) => {
    const x = new Float32Array(D_IN);
    // Background on directions 10..63 stays below the 0.5 bias, so only planted concepts fire.
    for (let i = 10; i < D_IN; i++) x[i] = 0.3 * Math.sin(seed * 7.3 + i * 1.7);
    for (const [c, v] of concepts) x[c] += v;
    return x;
  };
  for (let d = 0; d < nDocs; d++) {
    const id = `doc-${d}`;
    const circle = d % 3 === 0;
    const words =
      d % 2 === 0 ? ['a', ' red', circle ? ' circle' : ' square'] : ['a', ' blue', circle ? ' circle' : ' square'];
    const strength = 1 + d / 10; // later documents fire harder: top examples are known
    documents.push({
      id,
      tokens: words,
      image: png(dir, `${id}.png`, 40 + d * 10),
      tiles: [
        { rows: 4, cols: 4 },
        { rows: 2, cols: 2 },
      ],
    });
    const segments: unknown[] = [];
    for (const [tile, grid] of [
      [0, 4],
      [1, 2],
    ] as const) {
      segments.push({ document: id, kind: 'image', tile, newline: true });
      for (let r = 0; r < grid; r++) {
        for (let c = 0; c < grid; c++) {
          const p = r * grid + c;
          const planted: [number, number][] = [];
          if (tile === 0 && r === 1) planted.push([CONCEPTS.imageOnly, strength]); // row 1 of the base tile
          if (circle && tile === 0 && p === 5) planted.push([CONCEPTS.shared, strength]);
          if (options.anyresPeak && d % 2 === 1 && p === tile * 3) planted.push([ANYRES_CONCEPT, strength + tile]);
          rows.push({ doc: id, kind: 'image', x: vec(d * 100 + tile * 20 + p, planted), tile, pos: p });
        }
        // image-newline row: a huge value on the image-only direction that must be excluded
        rows.push({ doc: id, kind: 'special', x: vec(999, [[CONCEPTS.imageOnly, 50]]) });
      }
    }
    segments.push({ document: id, kind: 'text', start: 0, count: words.length });
    words.forEach((w, t) => {
      const planted: [number, number][] = [];
      if (w === ' red') planted.push([CONCEPTS.textOnly, strength]);
      if (w === ' circle') planted.push([CONCEPTS.shared, strength]);
      rows.push({ doc: id, kind: 'text', x: vec(d * 100 + 50 + t, planted), pos: t });
    });
    docSegments.push({ doc: id, segments });
  }
  // Split documents over shards.
  const shards: unknown[] = [];
  const perShard = Math.ceil(nDocs / nShards);
  for (let s = 0; s < nShards; s++) {
    const docsHere = docSegments.slice(s * perShard, (s + 1) * perShard);
    const ids = new Set(docsHere.map((d) => d.doc));
    const shardRows = rows.filter((r) => ids.has(r.doc));
    const data = new Float32Array(shardRows.length * D_IN);
    shardRows.forEach((r, i) => data.set(r.x, i * D_IN));
    const name = options.npy ? `acts-${s}.npy` : `acts-${s}.safetensors`;
    fs.writeFileSync(
      path.join(dir, name),
      options.npy
        ? npyBytes(data, [shardRows.length, D_IN])
        : safetensorsBytes([{ name: 'activations', shape: [shardRows.length, D_IN], data }]),
    );
    shards.push({ path: name, segments: docsHere.flatMap((d) => d.segments) });
  }
  const sidecar = path.join(dir, 'activations.json');
  fs.writeFileSync(
    sidecar,
    JSON.stringify({ format: 'sightline.activations/1', d_in: D_IN, layer: 7, documents, shards }, null, 1),
  );
  return { sidecar, rows, saeDir, sae };
}
