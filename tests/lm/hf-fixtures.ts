// The committed transformers fixtures (tests/fixtures/make_hf_fixtures.py) and ways to make broken
// copies of them in a temp folder.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, readSafetensor } from '../../src-main/engine/formats/safetensors.js';
import { safetensorsBytes, tempDir } from '../engine/fixtures.js';

export const HF_DIR = join(import.meta.dirname, '..', 'fixtures', 'hf');
export const HF_MODELS = ['llama', 'llama-linear-f16', 'mistral-bf16', 'llava-next'] as const;
export type HfModelName = (typeof HF_MODELS)[number];

export interface ExpectedPrompt {
  text: string;
  ids: number[];
  /** [S, vocab] row-major */
  logits: number[];
  logits_shape: [number, number];
  greedy: number[];
  steered_greedy: number[];
}

export interface ExpectedModel {
  folder: string;
  steer: { layer: number; k: number; vector: number[]; positions: 'prompt' };
  min_greedy_margin: number;
  prompts: ExpectedPrompt[];
  hidden_states: { prompt: number; layers: Record<string, number[]>; shape: [number, number] };
}

let cache: { models: Record<HfModelName, ExpectedModel> } | undefined;
export function expected(name: HfModelName): ExpectedModel {
  cache ??= JSON.parse(readFileSync(join(HF_DIR, 'expected.json'), 'utf8'));
  return cache!.models[name];
}

export function fixtureFolder(name: HfModelName): string {
  return join(HF_DIR, name);
}

/** A private copy of a fixture folder to break. */
export function copyFixture(name: HfModelName): string {
  const dir = join(tempDir(), name);
  cpSync(fixtureFolder(name), dir, { recursive: true });
  return dir;
}

export function editJson(path: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  edit(json);
  writeFileSync(path, JSON.stringify(json, null, 2));
}

/**
 * Rewrite one safetensors file (as F32) through `edit`, which may rename, drop or reshape tensors:
 * returning undefined drops the tensor.
 */
export function rewriteSafetensors(
  path: string,
  edit: (
    name: string,
    shape: number[],
    data: Float32Array,
  ) => { name: string; shape: number[]; data: Float32Array } | undefined,
): void {
  const file = openSafetensors(path);
  const out = [];
  for (const [name, info] of file.tensors) {
    const next = edit(name, info.shape, readSafetensor(file, name));
    if (next) out.push(next);
  }
  writeFileSync(path, safetensorsBytes(out));
}
