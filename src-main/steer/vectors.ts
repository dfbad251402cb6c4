// Named steering vectors (`sightline vector import|from-sae|list`): read from a file or taken from an
// SAE's decoder row, checked, and stored in the project under a name that generate and sweep use.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadSae } from '../engine/formats/detect';
import { npyFileBytes, safetensorsFileBytes, type WriteDtype } from '../engine/formats/tensor-write';
import { saeFeatureRow, type SaeFeatureRow } from '../engine/lm/sae-clamp';
import { readVectorFile } from '../engine/lm/vector-file';
import type { SaeWeights } from '../engine/sae-model';
import { checkSaeFilesPresent, checkSaeHashes, loadOptionsOf } from '../importers/sae-import';
import type { Project } from '../project/project';
import { getSaeByName, type SaeRecord } from '../store/saes';
import {
  findVectorByName,
  insertVector,
  vectorBytes,
  vectorNames,
  type VectorRecord,
  type VectorSource,
} from '../store/vectors';
import { AppError } from '../util/errors';
import { writeFileAtomic } from '../util/write-atomic';

export const vectorSha256 = (values: Float32Array): string =>
  crypto.createHash('sha256').update(vectorBytes(values)).digest('hex');

function checkNameFree(project: Project, name: string): void {
  if (findVectorByName(project.db, name))
    throw new AppError(
      'conflict',
      `a vector named "${name}" is already in this project; pass --name to choose another`,
    );
}

function store(project: Project, name: string, values: Float32Array, source: VectorSource): VectorRecord {
  const record = {
    name,
    dModel: values.length,
    sha256: vectorSha256(values),
    source,
    values,
    createdAt: project.clock.now(),
  };
  const id = insertVector(project.db, record);
  return { id, ...record };
}

/**
 * Several vectors at once (a probe's): a name already holding the same values is kept as it is (a
 * probe run again), any other taken name refuses the lot before anything is written.
 */
export function storeVectors(
  project: Project,
  vectors: readonly { name: string; values: Float32Array; source: VectorSource }[],
): { record: VectorRecord; stored: boolean }[] {
  const planned = vectors.map((v) => {
    const existing = findVectorByName(project.db, v.name);
    if (existing && existing.sha256 !== vectorSha256(v.values))
      throw new AppError(
        'conflict',
        `a different vector named "${v.name}" is already in this project; pass --name to choose another prefix`,
      );
    return { v, existing };
  });
  return project.db.transaction(() =>
    planned.map(({ v, existing }) =>
      existing
        ? { record: existing, stored: false }
        : { record: store(project, v.name, v.values, v.source), stored: true },
    ),
  )();
}

/**
 * `vector export`: the stored values as a .safetensors file (one tensor "vector", shape [d_model], the
 * vector's name, sha256 and source in its metadata) or a .npy array (d_model,), F32 or F16. `vector
 * import` reads either back. An existing file is refused, not overwritten.
 */
export function exportVector(
  project: Project,
  options: { name: string; out: string; dtype?: WriteDtype },
): { name: string; path: string; format: 'safetensors' | 'npy'; dtype: WriteDtype; dModel: number; sha256: string } {
  const vector = getVector(project, options.name);
  const out = path.resolve(options.out);
  const ext = path.extname(out).toLowerCase();
  if (ext !== '.safetensors' && ext !== '.npy')
    throw new AppError(
      'invalid_input',
      `--out ${path.basename(out)}: expected a file name ending .safetensors or .npy`,
    );
  if (fs.existsSync(out)) throw new AppError('conflict', `--out ${out}: the file exists; choose another name`);
  const dtype = options.dtype ?? 'F32';
  const bytes =
    ext === '.npy'
      ? npyFileBytes(vector.values, [vector.dModel], dtype)
      : safetensorsFileBytes([{ name: 'vector', shape: [vector.dModel], data: vector.values, dtype }], {
          name: vector.name,
          sha256: vector.sha256,
          source: JSON.stringify(vector.source),
        });
  writeFileAtomic(out, bytes);
  return {
    name: vector.name,
    path: out,
    format: ext === '.npy' ? 'npy' : 'safetensors',
    dtype,
    dModel: vector.dModel,
    sha256: vector.sha256,
  };
}

/** `vector import`: the file is read and checked in full before anything is written. */
export async function importVector(
  project: Project,
  options: { path: string; name?: string; key?: string },
): Promise<VectorRecord> {
  const absolute = path.resolve(options.path);
  const name = options.name ?? path.basename(absolute).replace(/\.(pt|pth|safetensors|npy)$/i, '');
  checkNameFree(project, name);
  const file = await readVectorFile(absolute, options.key !== undefined ? { key: options.key } : {});
  return store(project, name, file.values, {
    kind: 'file',
    path: absolute,
    key: file.key,
    fileSha256: file.sha256,
    format: file.format,
  });
}

/** An imported SAE by name whose `feature` exists (checked before its weights are read). */
function saeWithFeature(project: Project, saeName: string, feature: number): SaeRecord {
  const sae = getSaeByName(project, saeName);
  if (!Number.isInteger(feature) || feature < 0 || feature >= sae.dSae) {
    throw new AppError('invalid_input', `--feature: SAE "${sae.name}" has features 0..${sae.dSae - 1}, got ${feature}`);
  }
  return sae;
}

/** The SAE's weights; a row must come from the weights that were imported, not from a file changed since. */
async function importedSaeWeights(project: Project, sae: SaeRecord): Promise<SaeWeights> {
  checkSaeFilesPresent(project, sae);
  const weights = await loadSae(sae.path, loadOptionsOf(sae));
  checkSaeHashes(sae, weights.source.files);
  return weights;
}

/** `vector from-sae`: row `feature` of the SAE's decoder (its d_in values), from the weights as imported. */
export async function vectorFromSae(
  project: Project,
  options: { sae: string; feature: number; name?: string },
): Promise<VectorRecord> {
  const sae = saeWithFeature(project, options.sae, options.feature);
  const name = options.name ?? `${sae.name}/${options.feature}`;
  checkNameFree(project, name);
  const weights = await importedSaeWeights(project, sae);
  const values = weights.W_dec.slice(options.feature * weights.dIn, (options.feature + 1) * weights.dIn);
  return store(project, name, values, { kind: 'sae', sae: sae.name, saeSha256: sae.sha256, feature: options.feature });
}

/** Feature i of an imported SAE as the SAE clamp reads and writes it, for a model of the SAE's d_in. */
export async function saeFeatureForModel(
  project: Project,
  options: { sae: string; feature: number },
  model: { name: string; dModel: number },
): Promise<{ row: SaeFeatureRow; sae: { name: string; sha256: string | null; feature: number } }> {
  const sae = saeWithFeature(project, options.sae, options.feature);
  if (sae.dIn !== model.dModel)
    throw new AppError(
      'invalid_input',
      `SAE "${sae.name}" reads d_in ${sae.dIn} but model "${model.name}" has d_model ${model.dModel}`,
    );
  const weights = await importedSaeWeights(project, sae);
  return {
    row: saeFeatureRow(weights, options.feature),
    sae: { name: sae.name, sha256: sae.sha256, feature: options.feature },
  };
}

/**
 * For a probe pair name `PREFIX:A->B[:unit]` whose opposite `PREFIX:B->A` is stored: how to get this
 * direction. A probe stores each class pair once, from the class first in --classes order (sorted by
 * default), and a sweep takes its target class from the vector's B, so negating the opposite would
 * name the wrong target.
 */
function oppositeProbeHint(project: Project, name: string): string | null {
  const match = /^(.*):(.+)->(.+?)(:unit)?$/.exec(name);
  if (!match) return null;
  const [, prefix, from, to, unit = ''] = match;
  const opposite = findVectorByName(project.db, `${prefix}:${to}->${from}${unit}`);
  if (opposite?.source.kind !== 'probe') return null;
  return `the probe stored "${opposite.name}" (${to} → ${from}): run \`sightline probe --corpus ${opposite.source.corpus} --classes ${from},${to}\` with the same labels and --name to store ${from} → ${to}`;
}

/** The named vector; not_found lists the known names, or says how to make a probe pair's other direction. */
export function getVector(project: Project, name: string): VectorRecord {
  const vector = findVectorByName(project.db, name);
  if (!vector) {
    const hint = oppositeProbeHint(project, name);
    throw new AppError(
      'not_found',
      hint
        ? `no vector named "${name}" in this project; ${hint}`
        : `no vector named "${name}" in this project (known: ${vectorNames(project.db).join(', ') || 'none'}); import one with \`sightline vector import\``,
    );
  }
  return vector;
}

/** The named vector for a model: its length must be the model's d_model. */
export function vectorForModel(project: Project, name: string, model: { name: string; dModel: number }): VectorRecord {
  const vector = getVector(project, name);
  if (vector.dModel !== model.dModel) {
    throw new AppError(
      'invalid_input',
      `vector "${vector.name}" has d_model ${vector.dModel} but model "${model.name}" has d_model ${model.dModel}`,
    );
  }
  return vector;
}
