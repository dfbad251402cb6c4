// The demo's study on its tiny LLaVA-NeXT (issue 14), the steps a researcher takes, by the same code:
// `import-model`; `capture --images` of the pictograms (pictures/<class>/<n>.png) at layers 0 and 1;
// `probe --labels-from-folders` on those corpora (decodability by layer, and the difference-of-means
// vectors v_A→B = μ_B − μ_A); and per class pair one `sweep --images` of the source class's pictures
// along the unit v_A→B at layer 1 over the prompt positions, k from 0 to 30 step 5, greedy. The answer
// describes the source for small k and the target from k ≈ 17.5 on (tiny-weights.ts, tiny-vision.ts).
import path from 'node:path';
import { importModel } from '../importers/model-import';
import type { Project } from '../project/project';
import { runCapture } from '../steer/capture';
import { runProbe } from '../steer/probe';
import { runSweep } from '../steer/sweep';
import { listGenerations } from '../store/steering';
import { AppError } from '../util/errors';
import { hashSeed, mulberry32, randomIndex, shuffleInPlace } from '../util/random';
import { writeFile } from './files';
import { PICTOGRAM_CLASSES, type PictogramClass } from './pictograms';
import { TINY_MODEL_NAME, type TinyModelFiles } from './tiny-model';
import { TINY_IMAGE_PROMPT } from './tiny-script';
import { TINY_STEER_LAYER, TINY_THRESHOLD } from './tiny-weights';

export const STEERING_KS = [0, 5, 10, 15, 20, 25, 30] as const;
/** Enough for the longest sentence (12 words) and its EOS; the paper decodes 100. */
export const STEERING_TOKENS = 16;
/** The captured corpora are `demo-pictures-L<layer>`. */
export const PICTURE_CORPUS = 'demo-pictures';
export const CAPTURE_LAYERS = [0, 1];
export const pictureCorpusOf = (layer: number): string => `${PICTURE_CORPUS}-L${layer}`;
/**
 * The probe's class order. It stores v_A→B for A before B, so the pairs below walk this order: each
 * class but the first is a target once, and the pairs join unlike pictures (a grey cat, a golden dog,
 * an orange fish, a red fruit, a yellow bus, a volcano).
 */
export const PROBE_CLASSES: readonly PictogramClass[] = [
  'tabby cat',
  'golden retriever',
  'goldfish',
  'strawberry',
  'school bus',
  'volcano',
];
export const PAIRS: [PictogramClass, PictogramClass][] = PROBE_CLASSES.slice(1).map((target, i) => [
  PROBE_CLASSES[i],
  target,
]);
/** The pictures of a source class that are steered (variant 1 mirrors variant 0: the same colours). */
export const STEERED_VARIANTS = [0, 2, 4];

/** Options raters choose from: the six pictogram classes and four that are only ever distractors. */
const CLASS_NAMES: string[] = [...PICTOGRAM_CLASSES, 'lemon', 'lighthouse', 'monarch butterfly', 'teapot'];

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

/** The probe's unit difference-of-means vector from `source` to `target` at the steered layer. */
export const probeVectorName = (source: string, target: string): string =>
  `${pictureCorpusOf(TINY_STEER_LAYER)}:${source}->${target}:unit`;

function distractorsOf(source: string, target: string): [string, string] {
  const rng = mulberry32(hashSeed('sightline-demo', 'steering', source, target));
  const pool = shuffleInPlace(
    CLASS_NAMES.filter((name) => name !== source && name !== target),
    rng,
  );
  return [pool[0], pool[1 + randomIndex(pool.length - 1, rng)]];
}

/**
 * A sweep's image list: the source's steered pictures, labelled with their class, and the distractors
 * its concept-choice items offer (so `campaign create --from generations` builds the same four options).
 */
function writeSweepImages(
  dataDir: string,
  picturesDir: string,
  source: PictogramClass,
  distractors: readonly string[],
): string {
  const csv = path.join(dataDir, 'sweeps', `${source.replace(/ /g, '-')}.csv`);
  const rows = STEERED_VARIANTS.map((variant) => {
    const document = `${source}/${variant}.png`;
    const image = path.relative(path.dirname(csv), path.join(picturesDir, source, `${variant}.png`));
    return `${image},${document},${source},${distractors.join(';')}`;
  });
  writeFile(csv, `image,document,label,distractors\n${rows.join('\n')}\n`);
  return csv;
}

/**
 * Imports the tiny model, captures and probes its pictures, runs the sweeps (each commits its own
 * batches, as from the CLI). Rollouts in pair, picture, then k order.
 */
export async function studyTinyModel(
  project: Project,
  tiny: TinyModelFiles,
  picturesDir: string,
  info?: (line: string) => void,
): Promise<DemoGeneration[]> {
  await importModel(project, { path: tiny.folder, name: TINY_MODEL_NAME });
  const capture = await runCapture(project, {
    model: TINY_MODEL_NAME,
    layers: CAPTURE_LAYERS,
    images: picturesDir,
    prompt: TINY_IMAGE_PROMPT,
    corpus: PICTURE_CORPUS,
    provider: 'cpu',
  });
  const probe = await runProbe(project, {
    corpora: capture.corpora.map((c) => c.corpus),
    labelsFromFolders: true,
    classes: [...PROBE_CLASSES],
  });
  if (probe.state !== 'done') throw new AppError('internal', `demo: the probe ended ${probe.state}`);
  const accuracy = probe.layers.map((l) => `L${l.layer} ${l.logistic.validationAccuracy ?? '-'}`).join(', ');
  const generations: DemoGeneration[] = [];
  const dataDir = path.dirname(picturesDir);
  for (const [source, target] of PAIRS) {
    const distractors = distractorsOf(source, target);
    const summary = await runSweep(project, {
      model: TINY_MODEL_NAME,
      vector: probeVectorName(source, target),
      layer: TINY_STEER_LAYER,
      ks: [...STEERING_KS],
      images: writeSweepImages(dataDir, picturesDir, source, distractors),
      positions: 'prompt',
      tokens: STEERING_TOKENS,
      chat: false,
      shard: null,
      provider: 'cpu',
    });
    for (const row of listGenerations(project.db, null)) {
      const meta = JSON.parse(row.meta_json) as { k: number; sweep?: { id: string } };
      if (meta.sweep?.id !== summary.sweepId) continue;
      if (row.media_sha256 === null) throw new AppError('internal', `demo: rollout ${row.id} has no image`);
      generations.push({
        id: row.id,
        sourceClass: source,
        targetClass: target,
        distractors,
        k: meta.k,
        layer: TINY_STEER_LAYER,
        prompt: row.prompt,
        mediaSha256: row.media_sha256,
        outputText: row.output_text,
      });
    }
  }
  info?.(
    `demo: captured ${capture.documents} pictures at layers ${CAPTURE_LAYERS.join(',')}; probe validation accuracy ${accuracy}; ${generations.length} steered rollouts from ${TINY_MODEL_NAME} (${PAIRS.length} class pairs × ${STEERED_VARIANTS.length} pictures × k ${STEERING_KS.join(',')}; the answer switches to the target near k = ${TINY_THRESHOLD})`,
  );
  return generations;
}
