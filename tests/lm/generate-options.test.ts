// `sightline generate` options beyond greedy add (issue 13), through the CLI, the contract and the
// engine worker on the llama transformers fixture, each held against the fp64 reference pass
// (engine/lm/reference.ts): the SAE-feature clamp of an imported SAE, seeded temperature / top-p
// sampling (the same seed the same tokens, another seed others; an absent seed chosen, printed and
// replayable), the KL strength in --json, a negative --k written with a space, and the refusals.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLmFolder, readLmWeights } from '../../src-main/engine/lm/folder.js';
import { referenceGenerate, referenceGreedy, referenceStrength } from '../../src-main/engine/lm/reference.js';
import { saeFeatureRow } from '../../src-main/engine/lm/sae-clamp.js';
import type { Steer } from '../../src-main/engine/lm/steering.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { npyBytes, randomSae, randomSaeWeights, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runCaptured, runJson } from '../helpers/cli.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const name = 'llama';
const want = expected(name);
const w = readLmWeights(openLmFolder(fixtureFolder(name)));
const { layer, vector } = want.steer;
const D = w.config.dModel;
// The SAE as written to disk (SAELens cfg: apply_b_dec_to_input, no normalisation), read here without the importer.
const rawSae = randomSae('relu', D, 16, 7);
const sae = randomSaeWeights('relu', D, 16, 7);

let project: Project;
let vectorFile: string;
beforeAll(async () => {
  const dir = tempDir();
  project = openProject(join(dir, 'options.sightline'), { create: true });
  await importModel(project.dir, fixtureFolder(name));
  const saeDir = writeSaeLensDir(join(dir, 'sae'), rawSae);
  expect((await runJson(['import-sae', '--project', project.dir, '--path', saeDir, '--name', 'sae16'])).code).toBe(0);
  vectorFile = join(dir, 'v.npy');
  writeFileSync(vectorFile, npyBytes(Float32Array.from(vector), [vector.length]));
});
afterAll(() => project.close());

const args = (prompt: string, ...extra: string[]) => [...generateArgs(project.dir, name, prompt, 20), ...extra];
const generate = (prompt: string, ...extra: string[]) => runJson(args(prompt, ...extra));

describe('generate --method clamp', () => {
  it('clamps feature i of an imported SAE to c = k, as the reference pass does, recording the SAE and its KL', async () => {
    const p = want.prompts[0];
    const feature = 5;
    const clamp = ['--sae', 'sae16', '--feature', String(feature), '--layer', String(layer), '--method', 'clamp'];
    for (const [c, positions] of [
      [20, 'all'],
      [-4, 'prompt'],
    ] as const) {
      const { code, value } = await generate(p.text, ...clamp, '--k', String(c), '--positions', positions);
      expect(code).toBe(0);
      const steer: Steer[] = [{ method: 'clamp', layer, feature: saeFeatureRow(sae, feature), value: c, positions }];
      expect(value.generatedIds).toEqual(referenceGreedy(w, p.ids, 20, steer));
      expect(value.spec).toMatchObject({
        method: 'clamp',
        layer,
        k: c,
        positions,
        vector: null,
        sae: { name: 'sae16', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), feature },
        decoding: { kind: 'greedy' },
        loop: 'worker',
      });
      expect(value.kl).toBeCloseTo(referenceStrength(w, p.ids, steer), 4);
    }
    // The clamp to 20 on every position moves the answer (the comparison above is not of two plain runs).
    const clamped = await generate(p.text, ...clamp, '--k', '20', '--positions', 'all');
    expect(clamped.value.generatedIds).not.toEqual(p.greedy);
    expect(clamped.value.kl).toBeGreaterThan(0.01);
  });

  it('refuses a clamp without its SAE, an SAE with another method, an unknown SAE or feature, ablate with a k', async () => {
    const p = want.prompts[0].text;
    const L = ['--layer', String(layer)];
    const refusals: [string[], number, RegExp][] = [
      [[...L, '--method', 'clamp', '--k', '1'], 2, /--method clamp needs --sae/],
      [[...L, '--sae', 'sae16', '--feature', '1', '--k', '1'], 2, /--sae is for --method clamp/],
      [[...L, '--method', 'clamp', '--sae', 'sae16', '--k', '1'], 2, /--sae and --feature go together/],
      [[...L, '--method', 'clamp', '--sae', 'sae16', '--feature', '16', '--k', '1'], 2, /features 0\.\.15/],
      [[...L, '--method', 'clamp', '--sae', 'nope', '--feature', '1', '--k', '1'], 1, /nope/],
      [[...L, '--method', 'clamp', '--sae', 'sae16', '--feature', '1'], 2, /--k is required/],
      [[...L, '--vector-file', vectorFile, '--method', 'ablate', '--k', '1'], 2, /ablate .* takes no k/],
      [[...L, '--vector-file', vectorFile, '--sae', 'sae16', '--feature', '1', '--method', 'clamp'], 2, /give one/],
    ];
    for (const [extra, code, message] of refusals) {
      expect(await generate(p, ...extra)).toMatchObject({
        code,
        value: { error: { message: expect.stringMatching(message) } },
      });
    }
  });
});

describe('generate with sampling', () => {
  const p = want.prompts[1];
  const sampling = { temperature: 1.5, topP: 0.95, seed: 1234 };
  const flags = (seed: number) => ['--temperature', '1.5', '--top-p', '0.95', '--seed', String(seed)];

  it('the same seed gives the same tokens, another seed others, both the reference draw; the spec records it', async () => {
    const first = await generate(p.text, ...flags(1234));
    expect(first.code).toBe(0);
    expect(first.value.spec.decoding).toEqual({ kind: 'sample', ...sampling, tokens: 20, stopAtEos: false });
    expect(first.value.kl).toBeNull();
    expect((await generate(p.text, ...flags(1234))).value.generatedIds).toEqual(first.value.generatedIds);
    const other = await generate(p.text, ...flags(99));
    expect(other.value.generatedIds).not.toEqual(first.value.generatedIds);
    expect(first.value.generatedIds).toEqual(referenceGenerate(w, p.ids, 20, [], sampling));
    expect(other.value.generatedIds).toEqual(referenceGenerate(w, p.ids, 20, [], { ...sampling, seed: 99 }));
    // Sampled and steered together: the steered reference draw.
    const { k } = want.steer;
    const steered = await generate(
      p.text,
      ...flags(1234),
      '--vector-file',
      vectorFile,
      '--layer',
      String(layer),
      '--k',
      String(k),
    );
    const steer: Steer[] = [{ layer, delta: vector.map((x) => k * x), positions: 'prompt' }];
    expect(steered.value.generatedIds).toEqual(referenceGenerate(w, p.ids, 20, steer, sampling));
  });

  it('without --seed a seed is chosen, printed and recorded, and replays the same tokens', async () => {
    const human = await runCaptured(args(p.text, '--temperature', '1.5'));
    expect(human.code).toBe(0);
    const seed = Number(/seed (\d+)/.exec(human.err)?.[1]);
    expect(Number.isInteger(seed)).toBe(true);
    const replay = await generate(p.text, '--temperature', '1.5', '--seed', String(seed));
    expect(human.out).toBe(`${replay.value.text}\n`);
    expect(replay.value.generatedIds).toEqual(referenceGenerate(w, p.ids, 20, [], { temperature: 1.5, seed }));
    const chosen = await generate(p.text, '--temperature', '1.5');
    expect(chosen.value.spec.decoding).toMatchObject({ kind: 'sample', topP: 1, seed: expect.any(Number) });
  });

  it('refuses --greedy with --temperature, and --seed or --top-p without it', async () => {
    for (const extra of [
      ['--greedy', '--temperature', '1'],
      ['--seed', '3'],
      ['--top-p', '0.5'],
      ['--temperature', '1', '--top-p', '1.5'],
      ['--temperature', 'hot'],
    ]) {
      expect(await generate(p.text, ...extra)).toMatchObject({ code: 2, value: { error: { code: 'invalid_input' } } });
    }
  });
});

describe('generate: strength and negative k', () => {
  it('the KL strength is 0 at k = 0, grows with |k|, and equals the reference; --k -1.5 needs no "="', async () => {
    const p = want.prompts[2];
    const steer = (k: number) => ['--vector-file', vectorFile, '--layer', String(layer), '--k', String(k)];
    const kls = new Map<number, number>();
    for (const k of [0, 2, -2, 6, -6]) {
      const { code, value } = await generate(p.text, ...steer(k));
      expect(code).toBe(0);
      kls.set(k, value.kl);
      expect(value.kl).toBeCloseTo(
        referenceStrength(w, p.ids, [{ layer, delta: vector.map((x) => k * x), positions: 'prompt' }]),
        4,
      );
    }
    expect(kls.get(0)).toBe(0);
    expect(kls.get(2)).toBeGreaterThan(0);
    expect(kls.get(-2)).toBeGreaterThan(0);
    expect(kls.get(6)).toBeGreaterThan(kls.get(2)!);
    expect(kls.get(-6)).toBeGreaterThan(kls.get(-2)!);
    // `--k -1.5` (a separate argument starting with '-') is the same request as `--k=-1.5`.
    const capArgs = ['--vector-file', vectorFile, '--layer', String(layer), '--method', 'cap'];
    const spaced = await generate(p.text, ...capArgs, '--k', '-1.5');
    expect(spaced.code).toBe(0);
    expect(spaced.value.spec.k).toBe(-1.5);
    const norm = Math.hypot(...vector);
    const cap: Steer[] = [
      { method: 'cap', layer, direction: vector.map((x) => x / norm), cap: -1.5, positions: 'prompt' },
    ];
    expect(spaced.value.generatedIds).toEqual(referenceGreedy(w, p.ids, 20, cap));
    expect((await generate(p.text, ...capArgs, '--k=-1.5')).value.generatedIds).toEqual(spaced.value.generatedIds);
  });
});
