// Bringing research artifacts into a project by reference (issue 12: every capability a contract
// method, so the UI and HTTP reach what the CLI does): an SAE, activation shards or a delphi cache,
// and relinking moved files. Weights and shards are never copied; each is hashed once and checked
// against the recorded size and sha256 before every later use.
import { z } from 'zod';
import { method, returns } from './define';
import type { FeatureDetail, ExampleView } from './types';

export const SAE_FORMAT_NAMES = ['saelens', 'sparsify', 'torch', 'gemmascope'] as const;

/** An imported SAE as recorded (paths absolute). */
export interface ImportedSae {
  id: number;
  name: string;
  format: string;
  architecture: string;
  layer: number | null;
  hookPoint: string | null;
  dIn: number;
  dSae: number;
  path: string;
  size: number | null;
  sha256: string | null;
  /** the loader's configuration (files with absolute paths, input scale, ...) */
  config: unknown;
}

export interface ImportActivationsResult {
  corpusId: number;
  corpus: string;
  documents: number;
  shards: number;
  rows: number;
  contentRows: number;
}

export interface RelinkEntry {
  kind: 'sae' | 'shard';
  /** the SAE's name, or the shard's corpus */
  owner: string;
  file: string;
  /** the path as recorded before the relink (relative to the project folder, or absolute) */
  recorded: string;
  /** '' for a precomputed SAE's cache folder: it is verified through its splits */
  sha256: string;
  status: 'present' | 'relinked' | 'missing';
  /** where the file is now recorded, when relinked */
  path?: string;
}

export interface RelinkResult {
  search: string;
  relinked: number;
  missing: number;
  present: number;
  references: RelinkEntry[];
}

/** Where an example peaks: a text token, or an image patch of tile 0 (the base grid) or anyres tile k, as the feature page numbers them. */
export type MaxPosition =
  | { token: number; value: number }
  | { tile: number; patch: number; row: number; col: number; value: number };

export interface SaeFeatureStat {
  index: number;
  fireCount: number;
  tokenCount: number;
  density: number;
  maxActivation: number;
  imageCount: number;
  textCount: number;
  modality: string;
}

/** features.ofSae without `feature`: every mined feature's statistics. */
export interface SaeFeatureStats {
  sae: string;
  features: SaeFeatureStat[];
}

/** features.ofSae with `feature`: that feature's detail, each example with its document and peak. */
export type SaeFeatureView = { sae: string } & Omit<FeatureDetail, 'examples'> & {
    examples: (ExampleView & { document: string; maxAt: MaxPosition | null })[];
  };

const path = z.string().min(1).max(4096);
const name = z.string().min(1).max(200);

export const importMethods = {
  'saes.import': method({
    role: 'researcher',
    summary:
      'References an SAE (SAELens, sparsify, torch, Gemma Scope npz): loads it to check shapes and weights, hashes its files and records them; nothing is copied',
    input: z
      .object({
        path,
        name: name.optional(),
        format: z.enum(SAE_FORMAT_NAMES).optional(),
        inputScale: z.number().finite().positive().optional(),
        layer: z.number().int().min(0).max(10_000).optional(),
      })
      .strict(),
    output: returns<ImportedSae>(),
  }),
  'activations.import': method({
    role: 'researcher',
    summary:
      'References activation shards as a corpus: a sidecar JSON (safetensors/.npy shards) or a delphi sparse cache folder (with the SAE it was encoded with)',
    input: z.object({ path, corpus: name.optional(), sae: name.optional() }).strict(),
    output: returns<ImportActivationsResult>(),
  }),
  'imports.start': method({
    role: 'researcher',
    summary:
      "Starts importing an SAE, or activations (a sidecar JSON or a delphi cache folder), in the background as a job: progress comes as 'job.progress' events, and jobs.cancel stops it before anything is written",
    input: z
      .object({
        kind: z.enum(['sae', 'activations']),
        path,
        /** the SAE's name (kind sae) or the corpus's (kind activations); default: from the path */
        name: name.optional(),
        /** a delphi cache: the name its SAE is recorded under */
        sae: name.optional(),
      })
      .strict(),
    output: returns<{ jobId: number }>(),
  }),
  'project.relink': method({
    role: 'researcher',
    summary:
      'Finds moved SAE weights and activation shards in a folder (same name, size and sha256) and updates their references',
    input: z.object({ search: path }).strict(),
    output: returns<RelinkResult>(),
  }),
  'features.ofSae': method({
    role: 'researcher',
    summary: "An SAE's mined feature statistics by name, or one feature (by index) with its histogram and examples",
    input: z.object({ sae: name, feature: z.number().int().min(0).optional() }).strict(),
    output: returns<SaeFeatureStats | SaeFeatureView>(),
  }),
};
