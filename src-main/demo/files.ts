// The demo's generated inputs, written as a researcher would bring them: the images, per layer a
// dense activation shard with its sightline.activations/1 sidecar (README, "Activations: the sidecar format"), and a
// SAELens directory (cfg.json + sae_weights.safetensors). They live in <project>/demo-data/ and are
// imported by reference (path, size, sha256) like any other import. Same bytes on every run.
import fs from 'node:fs';
import path from 'node:path';
import { layerActivations, PATCHES, type DocumentMatches } from './activations';
import type { DemoDocument } from './corpus';
import { PATCH_GRID } from './images';
import { corpusNameOf, D_IN, D_SAE, hookPointOf, labelOf, saeNameOf, type LayerPlan } from './layers';

export const DATA_DIR = 'demo-data';
export const MODEL_NAME = 'demo-vlm';

export interface LayerFiles {
  layer: number;
  saeName: string;
  corpusName: string;
  saeDir: string;
  sidecar: string;
}

/** A safetensors file of F32 tensors: 8-byte header length, JSON header padded to 8 bytes, data. */
export function safetensorsBytes(
  tensors: { name: string; shape: number[]; data: Float32Array }[],
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([
    length,
    Buffer.from(json),
    ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ]);
}

/** Writes only when the bytes differ, so a re-run after a failure leaves identical files untouched. */
export function writeFile(file: string, bytes: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const next = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  if (fs.existsSync(file) && fs.readFileSync(file).equals(next)) return;
  fs.writeFileSync(file, next);
}

function writeSaeLens(dir: string, plan: LayerPlan): void {
  const { W_enc, W_dec, b_enc, b_dec } = plan.sae;
  writeFile(
    path.join(dir, 'sae_weights.safetensors'),
    safetensorsBytes([
      { name: 'W_enc', shape: [D_IN, D_SAE], data: W_enc },
      { name: 'W_dec', shape: [D_SAE, D_IN], data: W_dec },
      { name: 'b_enc', shape: [D_SAE], data: b_enc },
      { name: 'b_dec', shape: [D_IN], data: b_dec },
    ]),
  );
  // SAELens 6 layout: a standard (ReLU) SAE that subtracts b_dec from its input.
  const cfg = {
    architecture: 'standard',
    d_in: D_IN,
    d_sae: D_SAE,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: 'none',
    reshape_activations: 'none',
    metadata: {
      model_name: MODEL_NAME,
      hook_name: hookPointOf(plan.layer),
      hook_layer: plan.layer,
      sae_lens_version: '6.5.0',
      generator: 'sightline demo',
    },
  };
  writeFile(path.join(dir, 'cfg.json'), `${JSON.stringify(cfg, null, 2)}\n`);
}

function writeLayerActivations(
  dir: string,
  plan: LayerPlan,
  documents: DemoDocument[],
  matches: DocumentMatches[],
  imagePath: (d: DemoDocument) => string,
): string {
  const data = layerActivations(plan, documents, matches);
  const shard = 'acts-000.safetensors';
  writeFile(
    path.join(dir, shard),
    safetensorsBytes([{ name: 'activations', shape: [data.length / D_IN, D_IN], data }]),
  );
  const segments = documents.flatMap((document) => [
    { document: document.externalId, kind: 'special', count: 1, label: '<s>' },
    ...(document.image ? [{ document: document.externalId, kind: 'image', tile: 0 }] : []),
    { document: document.externalId, kind: 'text', start: 0, count: document.tokens.length },
  ]);
  const sidecar = {
    format: 'sightline.activations/1',
    d_in: D_IN,
    model: MODEL_NAME,
    layer: plan.layer,
    hook_point: hookPointOf(plan.layer),
    documents: documents.map((document) => ({
      id: document.externalId,
      text: document.text,
      tokens: document.tokens,
      ...(document.image
        ? {
            image: imagePath(document),
            tiles: [{ rows: PATCH_GRID, cols: PATCH_GRID }],
            meta: { concepts: document.image.concepts, source: 'procedural' },
          }
        : { meta: { source: 'procedural' } }),
    })),
    shards: [{ path: shard, tensor: 'activations', segments }],
  };
  const file = path.join(dir, 'activations.json');
  writeFile(file, `${JSON.stringify(sidecar)}\n`);
  return file;
}

/** The ground truth, for researchers who want to score labels or check mining against it. */
function plantedSummary(plans: LayerPlan[]): unknown {
  return {
    note: 'Concepts planted in the demo activations; feature_index is the feature of the layer SAE that reads each direction.',
    patch_grid: [PATCH_GRID, PATCH_GRID],
    patches_per_image: PATCHES,
    layers: plans.map((plan) => ({
      layer: plan.layer,
      sae: saeNameOf(plan.layer),
      corpus: corpusNameOf(plan.layer),
      features: [...plan.units]
        .sort((a, b) => a.featureIndex - b.featureIndex)
        .map((unit) => ({
          feature_index: unit.featureIndex,
          concept: unit.concept.key,
          variant: unit.variant,
          planted: unit.concept.planted,
          label: labelOf(unit),
        })),
      dead_features: plan.deadFeatures,
    })),
  };
}

export function writeDemoData(
  projectDir: string,
  plans: LayerPlan[],
  documents: DemoDocument[],
  matches: DocumentMatches[],
): LayerFiles[] {
  const root = path.join(projectDir, DATA_DIR);
  for (const document of documents) {
    if (document.image) writeFile(path.join(root, 'images', document.image.name), Buffer.from(document.image.png));
  }
  writeFile(path.join(root, 'planted.json'), `${JSON.stringify(plantedSummary(plans), null, 1)}\n`);
  return plans.map((plan) => {
    const layerDir = path.join(root, `layer-${String(plan.layer).padStart(2, '0')}`);
    const saeDir = path.join(layerDir, 'sae');
    writeSaeLens(saeDir, plan);
    const sidecar = writeLayerActivations(
      layerDir,
      plan,
      documents,
      matches,
      (document) => `../images/${document.image!.name}`,
    );
    return { layer: plan.layer, saeName: saeNameOf(plan.layer), corpusName: corpusNameOf(plan.layer), saeDir, sidecar };
  });
}
