// import-model on a LLaVA-NeXT folder checks the vision half too (headers only, before hashing) and
// records the image processor's settings file with the model's files.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVisionConfig } from '../../src-main/engine/vision/weights.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { tempDir } from '../engine/fixtures.js';
import { runJson } from '../helpers/cli.js';
import { editJson, rewriteSafetensors } from '../lm/hf-fixtures.js';
import { VISION_DIR } from './fixtures.js';

let project: Project;
beforeAll(() => {
  project = openProject(join(tempDir(), 'test.sightline'), { create: true });
});
afterAll(() => project.close());

function brokenCopy(): string {
  const dir = join(tempDir(), 'llava');
  cpSync(VISION_DIR, dir, { recursive: true });
  return dir;
}

const importModel = (path: string, name: string) =>
  runJson(['import-model', '--project', project.dir, '--path', path, '--name', name]);

describe('import-model on LLaVA-NeXT', () => {
  it('records the processor settings with the model files', async () => {
    const result = await importModel(VISION_DIR, 'ok');
    expect(result.code).toBe(0);
    const files = result.value.files.map((f: { path: string }) => f.path.split('/').pop());
    expect(files).toEqual(expect.arrayContaining(['model.safetensors', 'config.json', 'preprocessor_config.json']));
  });

  it('refuses a folder without its vision tower, naming the tensor', async () => {
    const dir = brokenCopy();
    rewriteSafetensors(join(dir, 'model.safetensors'), (name, shape, data) =>
      name.includes('encoder.layers.1.mlp.fc2.weight') ? undefined : { name, shape, data },
    );
    const result = await importModel(dir, 'no-tower');
    expect(result.code).toBe(1);
    expect(result.value.error.message).toMatch(
      /model\.safetensors: vision_tower\.encoder\.layers\.1\.mlp\.fc2\.weight: expected a tensor of shape \[32, 64\] \(hidden_size x intermediate_size\), found absent/,
    );
  });

  it('refuses image settings it cannot follow, naming the file and field', async () => {
    const dir = brokenCopy();
    editJson(join(dir, 'preprocessor_config.json'), (json) => {
      json.resample = 2;
    });
    const result = await importModel(dir, 'bilinear');
    expect(result.value.error.message).toMatch(/preprocessor_config\.json: resample: expected 3 \(bicubic/);
    editJson(join(dir, 'preprocessor_config.json'), (json) => {
      json.resample = 3;
    });
    editJson(join(dir, 'config.json'), (json) => {
      json.vision_feature_select_strategy = 'cls';
    });
    const strategy = await importModel(dir, 'strategy');
    expect(strategy.value.error.message).toMatch(
      /config\.json: vision_feature_select_strategy: expected "default" or "full"/,
    );
  });

  it("reads transformers 5's processor_config.json (settings under image_processor) alike", () => {
    const dir = brokenCopy();
    const settings = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8'));
    rmSync(join(dir, 'preprocessor_config.json'));
    const changed = { ...settings, image_mean: [0.5, 0.5, 0.5] };
    writeFileSync(join(dir, 'processor_config.json'), JSON.stringify({ image_processor: changed }));
    const { processor } = readVisionConfig(dir);
    expect(processor).toEqual({ ...readVisionConfig(VISION_DIR).processor, mean: [0.5, 0.5, 0.5] });
  });
});
