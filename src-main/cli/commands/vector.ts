import path from 'node:path';
import type { VectorFeatureMatch, VectorSummary } from '../../contract/vectors';
import { AppError } from '../../util/errors';
import { callAsResearcher, withProject } from '../project-session';
import { intOption, stringOption, type Command } from '../command';

const describe = (v: VectorSummary): string =>
  `"${v.name}": d_model ${v.dModel}, norm ${v.norm.toPrecision(4)}, from ${
    v.source.kind === 'file'
      ? `${v.source.path}${v.source.key ? ` [${v.source.key}]` : ''}`
      : v.source.kind === 'probe'
        ? `corpus "${v.source.corpus}" (layer ${v.source.layer ?? '?'}): mean of "${v.source.to}" − mean of "${v.source.from}"${v.source.unit ? ', unit length' : ''}`
        : `SAE "${v.source.sae}" feature ${v.source.feature}`
  } (sha256 ${v.sha256.slice(0, 12)}…)`;

export const vectorImportCommand: Command = {
  name: 'vector import',
  summary: 'store a steering vector from a .pt, .safetensors or .npy file under a name',
  usage: 'sightline vector import --project DIR --path FILE.pt|.safetensors|.npy [--name NAME] [--key TENSOR]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    path: {
      type: 'string',
      required: true,
      description:
        'the vector: shape [d_model] or [1, d_model]; .pt is read by a restricted unpickler (nothing in it runs)',
    },
    name: { type: 'string', description: 'name in the project (default: the file name without extension)' },
    key: {
      type: 'string',
      description: 'the tensor to take from a .pt state dict or .safetensors file that holds several',
    },
  },
  run: async (options, output) => {
    const input = {
      path: stringOption(options, 'path'),
      ...(options.name !== undefined ? { name: stringOption(options, 'name') } : {}),
      ...(options.key !== undefined ? { key: stringOption(options, 'key') } : {}),
    };
    const vector = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'vectors.import', input),
    );
    output.result(vector, () => `Imported vector ${describe(vector)}`);
  },
};

export const vectorFromSaeCommand: Command = {
  name: 'vector from-sae',
  summary: "store an SAE decoder row (one feature's direction) as a steering vector",
  usage: 'sightline vector from-sae --project DIR --sae NAME --feature N [--name NAME]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    sae: { type: 'string', required: true, description: 'SAE name (see import-sae)' },
    feature: { type: 'string', required: true, description: 'feature index; its decoder row W_dec[N] is the vector' },
    name: { type: 'string', description: 'name in the project (default: SAE/N)' },
  },
  run: async (options, output) => {
    const input = {
      sae: stringOption(options, 'sae'),
      feature: intOption(options, 'feature'),
      ...(options.name !== undefined ? { name: stringOption(options, 'name') } : {}),
    };
    const vector = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'vectors.fromSae', input),
    );
    output.result(vector, () => `Stored vector ${describe(vector)}`);
  },
};

export const vectorExportCommand: Command = {
  name: 'vector export',
  summary: 'write a stored vector to a .safetensors or .npy file (vector import reads it back)',
  usage: 'sightline vector export --project DIR --name NAME --out FILE.safetensors|.npy [--dtype f32|f16]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'the vector (see vector list)' },
    out: {
      type: 'string',
      required: true,
      description:
        'the file to write (.safetensors: tensor "vector" with name, sha256 and source as metadata; .npy: shape (d_model,)); an existing file is refused',
    },
    dtype: { type: 'string', default: 'f32', description: 'f32 (exact) or f16' },
  },
  run: async (options, output) => {
    const dtype = stringOption(options, 'dtype').toUpperCase();
    if (dtype !== 'F32' && dtype !== 'F16')
      throw new AppError('invalid_input', `--dtype: expected f32 or f16, got "${stringOption(options, 'dtype')}"`);
    const input = {
      name: stringOption(options, 'name'),
      out: path.resolve(stringOption(options, 'out')),
      dtype: dtype as 'F32' | 'F16',
    };
    const written = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'vectors.export', input),
    );
    output.result(
      written,
      () =>
        `Wrote vector "${written.name}" (d_model ${written.dModel}, sha256 ${written.sha256.slice(0, 12)}…) to ${written.path} as ${written.format} ${written.dtype}`,
    );
  },
};

export const vectorListCommand: Command = {
  name: 'vector list',
  summary: "the project's named steering vectors",
  usage: 'sightline vector list --project DIR',
  options: { project: { type: 'string', required: true, description: 'project folder' } },
  run: async (options, output) => {
    const vectors = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'vectors.list', {}),
    );
    output.result(vectors, () =>
      vectors.length === 0
        ? 'No vectors; import one with `sightline vector import`.'
        : vectors.map(describe).join('\n'),
    );
  },
};

const describeMatch = (m: VectorFeatureMatch): string =>
  `  ${String(m.feature).padStart(7)}  ${m.cosine >= 0 ? ' ' : ''}${m.cosine.toFixed(4)}  ${
    m.mined ? (m.label ?? '(no label)') : '(not mined)'
  }`;

export const vectorFeaturesCommand: Command = {
  name: 'vector features',
  summary: 'the SAE features closest to a stored vector: cosine with each decoder row, highest and most negative',
  usage: 'sightline vector features --project DIR --name VECTOR --sae NAME [--top 20]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'the vector (see vector list)' },
    sae: { type: 'string', required: true, description: "an imported SAE whose d_in is the vector's d_model" },
    top: { type: 'string', default: '20', description: 'how many features at each end' },
  },
  run: async (options, output) => {
    const input = {
      vector: stringOption(options, 'name'),
      sae: stringOption(options, 'sae'),
      top: intOption(options, 'top'),
    };
    const found = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'vectors.features', input),
    );
    output.result(found, () =>
      [
        `Vector "${found.vector.name}" (d_model ${found.vector.dModel}, norm ${found.vector.norm.toPrecision(4)}) against the ${found.sae.dSae} decoder rows of SAE "${found.sae.name}"${found.sae.layer !== null ? ` (layer ${found.sae.layer})` : ''}:`,
        `highest cosine:`,
        '  feature  cosine   label',
        ...found.top.map(describeMatch),
        `most negative cosine:`,
        ...found.bottom.map(describeMatch),
        ...(found.zeroRows > 0 ? [`${found.zeroRows} decoder rows are all zeros and have no cosine`] : []),
      ].join('\n'),
    );
  },
};
