// The demo tiny LLaVA-NeXT as transformers ran it (tests/fixtures/make_tiny_demo_expected.py writes
// tests/fixtures/tiny-demo/expected.json), and the folder it was run on, written afresh by each test file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDemoPictures, writeTinyModel, type TinyModelFiles } from '../../src-main/demo/tiny-model';
import type { PictogramClass } from '../../src-main/demo/pictograms';

export interface Expected {
  model_safetensors_sha256: string;
  tokens: number;
  layer: number;
  image_prompt: string;
  pairs: {
    source: PictogramClass;
    target: PictogramClass;
    prompt: string;
    ids: number[];
    runs: { k: number; greedy: number[]; text: string }[];
  }[];
  probes: { class: PictogramClass; layers: Record<'0' | '1', Record<string, number>> }[];
  images: {
    class: PictogramClass;
    file: string;
    image_positions: number;
    /** the image positions' mean projection on each concept direction at layer 1, in class order */
    scores: number[];
    expanded_ids?: number[];
    greedy?: number[];
    text?: string;
  }[];
  steering: {
    source: PictogramClass;
    target: PictogramClass;
    /** unit (mu_target - mu_source) of the mean image-position activations at layer 1 */
    vector: number[];
    runs: { k: number; greedy: number[]; text: string }[];
  }[];
}

export const EXPECTED: Expected = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'tiny-demo', 'expected.json'), 'utf8'),
);

export interface TinyDemo {
  root: string;
  files: TinyModelFiles;
  /** pictures/<class>/<variant>.png */
  pictures: string;
  /** the command that regenerates expected.json from this folder */
  regenerate: string;
}

export async function writeTinyDemo(): Promise<TinyDemo> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-tiny-'));
  const files = await writeTinyModel(root);
  const pictures = writeDemoPictures(root);
  return {
    root,
    files,
    pictures,
    regenerate: `/work/venv-hf/bin/python tests/fixtures/make_tiny_demo_expected.py ${root}`,
  };
}
