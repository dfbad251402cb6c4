// The Steer page's calls through the contract (dispatch), on the llama transformers fixture in a real
// project: steer.generate decodes the steered prompt and its k = 0 twin in one batch, giving
// transformers' plain and steered greedy tokens, streamed step by step as 'steer.step' events whose
// text adds up to the answers; the steered row equals what models.generate (the CLI's `generate`)
// gives for the same settings; the model stays loaded for the next request; steer.cancel stops a
// generation; an SAE-feature clamp and a sampled request (the k = 0 twin on the same seed) equal
// models.generate's answers and KL strength; a sweep started from the page is read back by its job
// and made into a campaign; a sampled clamp sweep is listed with its SAE and seed, each generation
// with its KL.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { JobProgressEvent, SteerGenerateOutput, SteerStepEvent } from '../../src-main/contract/index.js';
import { LmPool } from '../../src-main/engine/lm-pool.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { replaceLiveEngine } from '../../src-main/steer/live.js';
import { npyBytes, randomSae, tempDir, writeSaeLensDir } from '../engine/fixtures.js';
import { importModel, runJson } from '../helpers/cli.js';
import { TestClock } from '../helpers/clock.js';
import { contextFor, researcher } from '../helpers/factories.js';
import { expected, fixtureFolder } from './hf-fixtures.js';

const want = expected('llama');
const { layer, k } = want.steer;
let dir: string;
let project: Project;
let context: ReturnType<typeof contextFor>;

beforeAll(async () => {
  await replaceLiveEngine(new LmPool({ clock: new TestClock() }));
  dir = tempDir();
  const vectorFile = join(dir, 'v.npy');
  const v = Float32Array.from(want.steer.vector);
  writeFileSync(vectorFile, npyBytes(v, [v.length]));
  const projectDir = join(dir, 'steer.sightline');
  expect((await runJson(['init', '--project', projectDir])).code).toBe(0);
  await importModel(projectDir, fixtureFolder('llama'));
  expect((await runJson(['vector', 'import', '--project', projectDir, '--path', vectorFile, '--name', 'v'])).code).toBe(
    0,
  );
  const saeDir = writeSaeLensDir(join(dir, 'sae'), randomSae('relu', v.length, 16, 7));
  expect((await runJson(['import-sae', '--project', projectDir, '--path', saeDir, '--name', 'sae16'])).code).toBe(0);
  project = openProject(projectDir);
  context = contextFor(project, researcher);
});
afterAll(async () => {
  await replaceLiveEngine(new LmPool({ clock: new TestClock() }));
  project?.close();
});

async function call<T>(name: string, input: unknown): Promise<T> {
  const result = await dispatch(name, input, context);
  if (!result.ok) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

function stepsOf(stream: string): SteerStepEvent[] {
  const steps: SteerStepEvent[] = [];
  context.events.subscribe((name, payload) => {
    if (name === 'steer.step' && (payload as SteerStepEvent).stream === stream) steps.push(payload as SteerStepEvent);
  });
  return steps;
}

const request = (extra: Record<string, unknown>) => ({
  model: 'llama',
  prompt: want.prompts[0].text,
  vector: 'v',
  layer,
  tokens: 20,
  ...extra,
});

describe('steer.generate', () => {
  it('streams the steered answer beside its k = 0 twin, each as transformers and models.generate give it', async () => {
    const steps = stepsOf('first');
    const out = await call<SteerGenerateOutput>('steer.generate', request({ k, stream: 'first' }));
    expect(out.promptIds).toEqual(want.prompts[0].ids);
    expect(out.baseline.ids).toEqual(want.prompts[0].greedy);
    expect(out.steered.ids).toEqual(want.prompts[0].steered_greedy);
    expect(out).toMatchObject({ stopped: false, loadedNow: true });
    expect(out.spec).toMatchObject({ method: 'add', layer, k, positions: 'prompt', vector: { name: 'v' } });
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(steps.map((s) => s.baseline!.token)).toEqual(out.baseline.ids);
    expect(steps.map((s) => s.steered!.token)).toEqual(out.steered.ids);
    expect(steps.map((s) => s.baseline!.text).join('')).toBe(out.baseline.text);
    expect(steps.map((s) => s.steered!.text).join('')).toBe(out.steered.text);

    const plain = await call<{ text: string; generatedIds: number[] }>('models.generate', {
      model: 'llama',
      prompt: want.prompts[0].text,
      tokens: 20,
    });
    const steered = await call<{ text: string; generatedIds: number[] }>('models.generate', {
      model: 'llama',
      prompt: want.prompts[0].text,
      tokens: 20,
      steer: { vector: 'v', layer, k, method: 'add' },
    });
    expect([out.baseline.text, out.steered.text]).toEqual([plain.text, steered.text]);
    expect(out.steered.text).not.toBe(out.baseline.text);
  });

  it('keeps the model loaded: a second request (another method and positions) does not load again', async () => {
    const before = await call<{ loads: number }>('steer.engine', {});
    const out = await call<SteerGenerateOutput>(
      'steer.generate',
      request({ method: 'cap', k: 0.5, positions: 'all', stream: 'second' }),
    );
    expect(out.loadedNow).toBe(false);
    expect(await call('steer.engine', {})).toMatchObject({
      loads: before.loads,
      held: { model: 'llama', modelSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const same = await call<{ generatedIds: number[] }>('models.generate', {
      model: 'llama',
      prompt: want.prompts[0].text,
      tokens: 20,
      steer: { vector: 'v', layer, k: 0.5, method: 'cap', positions: 'all' },
    });
    expect(out.steered.ids).toEqual(same.generatedIds);
    expect(out.baseline.ids).toEqual(want.prompts[0].greedy);
  });

  it('steer.cancel stops a generation after its current step; a tag runs once at a time', async () => {
    const steps = stepsOf('stop');
    // dispatch runs the handler up to its first wait, so the generation is registered when this returns.
    const running = call<SteerGenerateOutput>('steer.generate', request({ k, stream: 'stop' }));
    expect(await dispatch('steer.generate', request({ k, stream: 'stop' }), context)).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining('"stop"') },
    });
    expect(await call('steer.cancel', { stream: 'stop' })).toEqual({ requested: true });
    const out = await running;
    expect(out.stopped).toBe(true);
    expect(out.baseline.ids).toEqual(want.prompts[0].greedy.slice(0, 1));
    expect(out.steered.ids).toEqual(want.prompts[0].steered_greedy.slice(0, 1));
    expect(steps).toHaveLength(1);
    expect(await call('steer.cancel', { stream: 'stop' })).toEqual({ requested: false });
  });

  it('clamps an SAE feature to c = k as models.generate (generate --method clamp) does, with its KL', async () => {
    const clamp = { sae: 'sae16', feature: 5, method: 'clamp', k: 20, positions: 'all' } as const;
    const { vector: _, ...withoutVector } = request({});
    const out = await call<SteerGenerateOutput>('steer.generate', { ...withoutVector, ...clamp, stream: 'clamp' });
    const cli = await call<{ generatedIds: number[]; kl: number; spec: unknown }>('models.generate', {
      model: 'llama',
      prompt: want.prompts[0].text,
      tokens: 20,
      steer: { ...clamp, layer },
    });
    expect(out.steered.ids).toEqual(cli.generatedIds);
    expect(out.baseline.ids).toEqual(want.prompts[0].greedy);
    // Clamping feature 5 to 20 everywhere moves the answer, so the comparison is not of two plain runs.
    expect(out.steered.ids).not.toEqual(out.baseline.ids);
    expect(out.spec).toMatchObject({ method: 'clamp', k: 20, vector: null, sae: { name: 'sae16', feature: 5 } });
    // The twin row in the same prefill gives the KL that generate measures with a prefill of its own.
    expect(cli.kl).toBeGreaterThan(0);
    expect(out.kl).toBeCloseTo(cli.kl, 5);
    expect(await dispatch('steer.generate', request({ ...clamp, stream: 'bad' }), context)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('sae and feature') },
    });
  });

  it('samples both rows from one seed: each equals models.generate with that seed; no seed, one chosen and replayable', async () => {
    const sampling = { temperature: 1.5, topP: 0.95, seed: 7 };
    const out = await call<SteerGenerateOutput>('steer.generate', request({ k, sampling, stream: 'sampled' }));
    const generate = (extra: Record<string, unknown>) =>
      call<{ generatedIds: number[]; kl: number | null }>('models.generate', {
        model: 'llama',
        prompt: want.prompts[0].text,
        tokens: 20,
        ...extra,
      });
    const plain = await generate({ sampling });
    const steered = await generate({ sampling, steer: { vector: 'v', layer, k } });
    expect([out.baseline.ids, out.steered.ids]).toEqual([plain.generatedIds, steered.generatedIds]);
    expect(out.spec.decoding).toEqual({ kind: 'sample', ...sampling, tokens: 20, stopAtEos: false });
    expect(out.kl).toBeCloseTo(steered.kl!, 5);
    // Sampling at this temperature leaves the greedy path (the comparison is of sampled answers).
    expect(out.baseline.ids).not.toEqual(want.prompts[0].greedy);

    const chosen = await call<SteerGenerateOutput>(
      'steer.generate',
      request({ k, sampling: { temperature: 1.5 }, stream: 'sampled-2' }),
    );
    expect(chosen.spec.decoding.kind).toBe('sample');
    const seed = (chosen.spec.decoding as { seed: number }).seed;
    const again = await call<SteerGenerateOutput>(
      'steer.generate',
      request({ k, sampling: { temperature: 1.5, seed }, stream: 'sampled-3' }),
    );
    expect([again.baseline.ids, again.steered.ids]).toEqual([chosen.baseline.ids, chosen.steered.ids]);
  });

  it('refuses a layer the model lacks and an unknown vector, by name', async () => {
    expect(await dispatch('steer.generate', request({ k, layer: 9, stream: 'bad' }), context)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/layer/) },
    });
    expect(await dispatch('steer.generate', request({ k, vector: 'nope', stream: 'bad' }), context)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('a sweep from the Steer page', () => {
  it('reads a prompts file, runs, is listed, gives its generations by job, and becomes a campaign', async () => {
    const promptsFile = join(dir, 'prompts.jsonl');
    writeFileSync(
      promptsFile,
      `${want.prompts
        .slice(0, 2)
        .map((p) =>
          JSON.stringify({
            prompt: p.text,
            source_class: 'goldfish',
            target_class: 'strawberry',
            distractors: ['volcano', 'school bus'],
          }),
        )
        .join('\n')}\n`,
    );
    const prompts = await call<{ prompt: string }[]>('sweeps.readPrompts', { path: promptsFile });
    expect(prompts.map((p) => p.prompt)).toEqual(want.prompts.slice(0, 2).map((p) => p.text));
    expect(await dispatch('sweeps.readPrompts', { path: join(dir, 'missing.txt') }, context)).toMatchObject({
      ok: false,
    });

    let finish: (event: JobProgressEvent) => void = () => {};
    const ended = new Promise<JobProgressEvent>((resolve) => (finish = resolve));
    context.events.subscribe((name, payload) => {
      if (name === 'job.progress' && (payload as JobProgressEvent).state !== 'running')
        finish(payload as JobProgressEvent);
    });
    const { jobId } = await call<{ jobId: number }>('sweeps.start', {
      model: 'llama',
      vector: 'v',
      layer,
      ks: [0, k],
      prompts,
      tokens: 20,
    });
    expect(await ended).toMatchObject({ jobId, state: 'done', done: 4, total: 4 });

    const byJob = await call<{
      sweepId: string;
      generations: { generationId: number; k: number; promptIndex: number; prompt: string; text: string }[];
    }>('sweeps.generations', { jobId });
    expect(byJob.sweepId).toMatch(/^[0-9a-f]{16}$/);
    expect(byJob.generations.map((g) => [g.promptIndex, g.k])).toEqual([
      [0, 0],
      [0, k],
      [1, 0],
      [1, k],
    ]);
    // The sweep's k = 0 and k cells of prompt 0 are steer.generate's two columns.
    const live = await call<SteerGenerateOutput>('steer.generate', request({ k, stream: 'sweep-check' }));
    expect(byJob.generations.slice(0, 2).map((g) => g.text)).toEqual([live.baseline.text, live.steered.text]);
    expect(await call('sweeps.generations', { sweepId: byJob.sweepId })).toEqual(byJob);
    expect(await call('sweeps.list', {})).toEqual([
      expect.objectContaining({
        sweepId: byJob.sweepId,
        model: 'llama',
        vector: 'v',
        layer,
        ks: [0, k],
        prompts: 2,
        tokens: 20,
        generations: 4,
      }),
    ]);
    expect(await dispatch('sweeps.generations', { jobId, sweepId: byJob.sweepId }, context)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });

    const created = await call<{ campaignId: number; items: number }>('campaigns.create', {
      name: 'From the Steer page',
      template: 'concept-choice',
      source: { kind: 'generations', generationIds: byJob.generations.map((g) => g.generationId) },
    });
    expect(created.items).toBe(4);
  });

  it('a sampled clamp sweep is listed with its SAE and seed; each generation carries its KL, as steer.generate gives it', async () => {
    const sampling = { temperature: 1.5, topP: 0.95, seed: 7 };
    let finish: (event: JobProgressEvent) => void = () => {};
    const ended = new Promise<JobProgressEvent>((resolve) => (finish = resolve));
    context.events.subscribe((name, payload) => {
      if (name === 'job.progress' && (payload as JobProgressEvent).state !== 'running')
        finish(payload as JobProgressEvent);
    });
    const clamp = { method: 'clamp', sae: 'sae16', feature: 5, positions: 'all' } as const;
    const { jobId } = await call<{ jobId: number }>('sweeps.start', {
      model: 'llama',
      ...clamp,
      layer,
      ks: [-4, 20],
      sampling,
      prompts: [{ prompt: want.prompts[0].text }],
      tokens: 20,
    });
    expect(await ended).toMatchObject({ jobId, state: 'done', done: 2, total: 2 });
    const { sweepId, generations } = await call<{
      sweepId: string;
      generations: { k: number; text: string; kl: number | null }[];
    }>('sweeps.generations', { jobId });
    const listed = (await call<Record<string, unknown>[]>('sweeps.list', {})).find((s) => s.sweepId === sweepId);
    expect(listed).toMatchObject({
      method: 'clamp',
      vector: null,
      sae: { name: 'sae16', feature: 5 },
      ks: [-4, 20],
      sampling,
      generations: 2,
    });
    const { vector: _, ...withoutVector } = request({});
    for (const cell of generations) {
      const live = await call<SteerGenerateOutput>('steer.generate', {
        ...withoutVector,
        ...clamp,
        k: cell.k,
        sampling,
        stream: `cell-${cell.k}`,
      });
      expect(cell.text).toBe(live.steered.text);
      expect(cell.kl).toBeGreaterThan(0);
      expect(cell.kl).toBeCloseTo(live.kl, 5);
    }
  });
});
