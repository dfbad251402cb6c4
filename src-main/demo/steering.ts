// Steered rollouts in the shape of the "Line of Sight" protocol: a unit-norm class direction v
// (from a linear probe) added at layer 20 over the prompt positions, h[:P] += k·v, k in 0..30 step 5,
// greedy decoding of up to 100 tokens. One steering spec per (source, target, k), one generation each.
import crypto from 'node:crypto';
import type { Project } from '../project/project';
import { modelIdByName } from '../store/models';
import { probeSteeringWriter } from '../store/steering';
import { hashSeed, mulberry32, randomIndex, shuffleInPlace } from '../util/random';
import { CLASS_PROFILES, steeredAnswer } from './answers';
import { MODEL_NAME } from './files';
import { drawPictogram, type PictogramClass } from './pictograms';

export const STEERING_LAYER = 20;
export const STEERING_HOOK_POINT = 'blocks.20.hook_resid_post';
export const STEERING_KS = [0, 5, 10, 15, 20, 25, 30] as const;
export const STEERING_PROMPT = 'What is shown in this image?';

/** Each source class is steered towards a different target, so every class is a target once. */
const PAIRS: [PictogramClass, PictogramClass][] = [
  ['goldfish', 'strawberry'],
  ['tabby cat', 'golden retriever'],
  ['school bus', 'volcano'],
  ['volcano', 'goldfish'],
  ['strawberry', 'school bus'],
  ['golden retriever', 'tabby cat'],
];

// Untrusted model output must always render as text; these rollouts carry markup so the UI's tests
// (and anyone looking at the demo) can see that it does. Kept away from the first items in order.
const INJECTIONS: Record<string, string> = {
  'school bus->volcano@30': '<img src=x onerror=alert(1)>',
  'strawberry->school bus@25': '<script>alert(1)</script>',
};

export interface DemoGeneration {
  id: number;
  sourceClass: string;
  targetClass: string;
  distractors: [string, string];
  k: number;
  layer: number;
  prompt: string;
  mediaSha256: string;
  outputText: string;
}

/** A stand-in for the probe's class direction: seeded, unit-norm, d_model 64; its hash goes in the spec. */
function classDirectionSha256(className: string): string {
  const rng = mulberry32(hashSeed('sightline-demo', 'direction', className));
  const vector = Float32Array.from({ length: 64 }, () => rng() * 2 - 1);
  const norm = Math.hypot(...vector);
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export function insertSteering(project: Project, createdAt: number): DemoGeneration[] {
  const { db } = project;
  const imageOf = new Map<string, string>();
  for (const [source] of PAIRS) {
    imageOf.set(
      source,
      project.media.put(
        drawPictogram(source),
        'image/png',
        { width: 96, height: 96 },
        `demo-class-${source.replace(/ /g, '-')}.png`,
      ).sha256,
    );
  }
  const writer = probeSteeringWriter(db);
  // The spec names the model it steers (spec_json.model_id), so provenance can follow a generation to it.
  const modelId = modelIdByName(db, MODEL_NAME);
  const classNames = Object.keys(CLASS_PROFILES);
  const generations: DemoGeneration[] = [];
  for (const [source, target] of PAIRS) {
    const rng = mulberry32(hashSeed('sightline-demo', 'steering', source, target));
    const pool = shuffleInPlace(
      classNames.filter((name) => name !== source && name !== target),
      rng,
    );
    const distractors: [string, string] = [pool[0], pool[1 + randomIndex(pool.length - 1, rng)]];
    const vectorSha256 = classDirectionSha256(target);
    for (const k of STEERING_KS) {
      const specId = writer.insertSpec({
        name: `demo: ${source} -> ${target}, k=${k}`,
        layer: STEERING_LAYER,
        hookPoint: STEERING_HOOK_POINT,
        vectorSha256,
        coefficient: k,
        decoding: { strategy: 'greedy', max_new_tokens: 100 },
        spec: {
          direction: `class direction of "${target}" (linear probe, unit norm)`,
          formula: 'h[:P] += k·v',
          model_id: modelId ?? null,
          demo: true,
        },
        createdAt,
      });
      const outputText = steeredAnswer(
        CLASS_PROFILES[source],
        CLASS_PROFILES[target],
        k,
        rng,
        INJECTIONS[`${source}->${target}@${k}`],
      );
      const mediaSha256 = imageOf.get(source)!;
      const meta = { source_class: source, target_class: target, distractors, k, layer: STEERING_LAYER, demo: true };
      const id = writer.insertGeneration({
        steeringSpecId: specId,
        prompt: STEERING_PROMPT,
        mediaSha256,
        outputText,
        meta,
        createdAt,
      });
      generations.push({
        id,
        sourceClass: source,
        targetClass: target,
        distractors,
        k,
        layer: STEERING_LAYER,
        prompt: STEERING_PROMPT,
        mediaSha256,
        outputText,
      });
    }
  }
  return generations;
}
