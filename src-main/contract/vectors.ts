// Named steering vectors (issue 13): imported from a .pt/.safetensors/.npy file or taken from an SAE's
// decoder row, stored in the project with their sha256, source and d_model.
import { z } from 'zod';
import { method, returns } from './define';

export interface VectorSummary {
  id: number;
  name: string;
  dModel: number;
  /** over the stored float32 values */
  sha256: string;
  source:
    | { kind: 'file'; path: string; key: string | null; fileSha256: string; format: 'pt' | 'safetensors' | 'npy' }
    | { kind: 'sae'; sae: string; saeSha256: string | null; feature: number }
    | {
        kind: 'probe';
        method: 'diff-of-means';
        corpus: string;
        layer: number | null;
        from: string;
        to: string;
        /** scaled to unit length (else raw: its norm is the distance between the class means) */
        unit: boolean;
        /** documents per class, and whether their image or text rows were pooled */
        documents: { from: number; to: number };
        pooled: 'image' | 'text' | 'mixed';
      };
  norm: number;
  createdAt: number;
}

/** One SAE feature and how its decoder row points relative to a vector. */
export interface VectorFeatureMatch {
  feature: number;
  /** cos(vector, W_dec[feature]) */
  cosine: number;
  /** whether the feature was mined (it has a feature page), and its label then */
  mined: boolean;
  label: string | null;
  modality: string | null;
}

/** vectors.features: the SAE features whose decoder directions are closest to a vector, and the most opposite. */
export interface VectorFeatures {
  vector: { name: string; dModel: number; sha256: string; norm: number };
  sae: { name: string; layer: number | null; dIn: number; dSae: number; sha256: string | null };
  /** highest cosine first */
  top: VectorFeatureMatch[];
  /** most negative cosine first */
  bottom: VectorFeatureMatch[];
  /** decoder rows of norm 0 (no direction): ranked in neither list */
  zeroRows: number;
}

const name = z.string().min(1).max(200);

export const vectorMethods = {
  'vectors.import': method({
    role: 'researcher',
    summary:
      'Stores a steering vector read from a .pt (restricted unpickler), .safetensors or .npy file; --key picks the tensor of a file that holds several',
    input: z
      .object({ path: z.string().min(1), name: name.optional(), key: z.string().min(1).max(1000).optional() })
      .strict(),
    output: returns<VectorSummary>(),
  }),
  'vectors.fromSae': method({
    role: 'researcher',
    summary: "Stores row `feature` of an imported SAE's decoder as a steering vector",
    input: z.object({ sae: z.string().min(1), feature: z.number().int().min(0), name: name.optional() }).strict(),
    output: returns<VectorSummary>(),
  }),
  'vectors.export': method({
    role: 'researcher',
    summary:
      'Writes a stored vector to a .safetensors (tensor "vector", its name, sha256 and source in the metadata) or .npy file, F32 or F16; vectors.import reads either back',
    input: z.object({ name, out: z.string().min(1), dtype: z.enum(['F32', 'F16']).default('F32') }).strict(),
    output: returns<{
      name: string;
      path: string;
      format: 'safetensors' | 'npy';
      dtype: 'F32' | 'F16';
      dModel: number;
      sha256: string;
    }>(),
  }),
  'vectors.features': method({
    role: 'researcher',
    summary:
      'The cosine of a stored vector with every decoder row of an imported SAE (same d_model): the `top` features by cosine and the `top` most negative, with their labels; read and computed in the engine worker',
    input: z
      .object({ vector: name, sae: z.string().min(1), top: z.number().int().min(1).max(1000).default(20) })
      .strict(),
    output: returns<VectorFeatures>(),
  }),
  'vectors.list': method({
    role: 'researcher',
    summary: "The project's named steering vectors",
    input: z.object({}).strict(),
    output: returns<VectorSummary[]>(),
  }),
};
