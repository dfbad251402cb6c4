// The vision half of the demo's tiny LLaVA-NeXT (issue 14): a CLIP-shaped tower and the projector, with
// hand-set weights that make the pictogram class readable, linearly, from the mean of the image
// positions. Nothing is trained; the one thing computed from the pictures is the projector's readout.
//
//   tiles      28-pixel tiles, 14-pixel patches (2 x 2 per tile); grid pinpoints 28x56, 56x28 and 56x56,
//              so a square pictogram is the base tile plus a 2 x 2 grid: 4 + 4·(4 + 1) = 24 positions.
//   patch      the convolution takes the mean colour (normalised R, G, B) of each 7 x 7 quarter of the
//              patch into 12 dimensions, and their negatives into 12 more; the position embedding adds
//              +C and -C. So every position has mean 0 and an rms dominated by C, and the layer norms
//              (pre_layrnorm, layer_norm2, weights C·sqrt(2/48)) pass the colours through nearly
//              unchanged (relative error below |colours|^2 / 2C^2 = 0.3%).
//   layer 0    attention zero; the MLP holds one colour detector per palette colour of the pictograms
//              and quarter: quick_gelu(GAIN·(u_k·(x - m) - |p_k - m|/2)), u_k the unit direction from
//              the palette's mean m to the colour p_k, so it fires on colours well towards p_k. fc2 adds
//              each detector's four quarters into one "colour bin" dimension: a colour histogram.
//   feature    hidden_states[1] (vision_feature_layer -2 of 2 layers), CLS dropped ('default').
//   projector  linear_1 picks the bins plus OFFSET, so GELU is the identity there (to 1e-9); linear_2
//              is the readout: the decoder's image flag g plus class scores s = W·bins + w0 along the
//              concept directions v_c (tiny-weights.ts).
//
// The readout. Histograms are linear in the pictures' colour statistics, and the six classes' mean
// histograms (over their six variants) are affinely independent, so the smallest W, w0 with
// W·mean_c + w0 = IMAGE_CLASS_SCORE·e_c for every class c exist (the pseudo-inverse of the 17 x 6 matrix
// of class means). Then the mean-pooled image positions' class means differ exactly along v_B - v_A (the
// difference-of-means probe vector), and each image scores its own class highest; checkSwitch refuses
// weights under which a steered image would pass through a third class on its way to the target.
import { parseVisionConfig, type VisionConfig } from '../engine/vision/config';
import { decodeImage } from '../engine/vision/image-file';
import { type ImageProcessorSettings, preprocessAnyres } from '../engine/vision/preprocess';
import { referenceImageFeatures } from '../engine/vision/reference';
import type { VisionWeights } from '../engine/vision/weights';
import { drawPictogramVariant, PICTOGRAM_CLASSES, PICTOGRAM_VARIANTS, type PictogramClass } from './pictograms';
import { IMAGE_TOKEN } from './tiny-script';
import { IMAGE_CLASS_SCORE, TINY_D_MODEL, type NamedTensor, type TinyWeights } from './tiny-weights';

export const VISION_TILE = 28;
const PATCH = 14;
const QUARTER = PATCH / 2;
const VISION_D = 48;
const VISION_LAYERS = 2;
export const GRID_PINPOINTS: [number, number][] = [
  [28, 56],
  [56, 28],
  [56, 56],
];
export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
/** The fill colours of pictograms.ts, one detector each (near-duplicates merged). */
const PALETTE: [number, number, number][] = [
  [115, 165, 220], // goldfish water
  [245, 140, 30], // goldfish
  [235, 225, 200], // tabby cat background
  [150, 140, 130], // tabby cat
  [240, 200, 30], // school bus
  [215, 232, 248], // pale sky
  [90, 90, 95], // road
  [210, 30, 40], // strawberry
  [40, 150, 60], // leaves
  [245, 240, 225], // cream
  [250, 190, 120], // volcano sky
  [110, 80, 60], // mountain
  [240, 90, 30], // lava
  [180, 215, 240], // retriever sky
  [90, 160, 70], // grass
  [220, 170, 90], // golden fur
];
const BINS = PALETTE.length;
const VISION_FFN = 4 * BINS;
const C = 100;
const COLOURS = 12;
const CONSTANT = 2 * COLOURS;
const BIN = CONSTANT + 2;
const GAIN = 4;
/** Keeps GELU's input above 6, where GELU(x) = x to 1e-9. */
const OFFSET = 8;
/** How far below the crossing (s_source + s_target) / 2 every third class must score (see checkSwitch). */
const MIN_MARGIN = 2;

/** config.json's LLaVA-NeXT vision part (vision_config and the projector and packing settings). */
export function visionConfigJson(imageTokenId: number): Record<string, unknown> {
  return {
    image_grid_pinpoints: GRID_PINPOINTS,
    image_token_index: imageTokenId,
    image_seq_length: (VISION_TILE / PATCH) ** 2,
    multimodal_projector_bias: true,
    projector_hidden_act: 'gelu',
    vision_feature_layer: -2,
    vision_feature_select_strategy: 'default',
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_act: 'quick_gelu',
      hidden_size: VISION_D,
      intermediate_size: VISION_FFN,
      image_size: VISION_TILE,
      patch_size: PATCH,
      num_attention_heads: 2,
      num_hidden_layers: VISION_LAYERS,
      num_channels: 3,
      layer_norm_eps: 1e-5,
      projection_dim: 64,
    },
  };
}

export const PROCESSOR: ImageProcessorSettings = {
  tileSize: VISION_TILE,
  gridPinpoints: GRID_PINPOINTS,
  mean: CLIP_MEAN,
  std: CLIP_STD,
  rescaleFactor: 1 / 255,
};

const normalised = (rgb: readonly number[]) => rgb.map((v, ch) => (v / 255 - CLIP_MEAN[ch]) / CLIP_STD[ch]);

interface Tower {
  config: VisionConfig;
  /** the tower's tensors by name (transformers 5's layout), the projector not included */
  tensors: NamedTensor[];
  weights: Omit<VisionWeights, 'projector1' | 'projector1Bias' | 'projector2' | 'projector2Bias' | 'imageNewline'>;
}

function tower(): Tower {
  const D = VISION_D;
  const config = parseVisionConfig({ ...visionConfigJson(0), text_config: { hidden_size: TINY_D_MODEL } });
  const patch = new Float32Array(D * 3 * PATCH * PATCH);
  for (let quarter = 0; quarter < 4; quarter++) {
    const [y0, x0] = [Math.floor(quarter / 2) * QUARTER, (quarter % 2) * QUARTER];
    for (let ch = 0; ch < 3; ch++) {
      for (let y = y0; y < y0 + QUARTER; y++) {
        for (let x = x0; x < x0 + QUARTER; x++) {
          const d = 3 * quarter + ch;
          patch[((d * 3 + ch) * PATCH + y) * PATCH + x] = 1 / QUARTER ** 2;
          patch[(((d + COLOURS) * 3 + ch) * PATCH + y) * PATCH + x] = -1 / QUARTER ** 2;
        }
      }
    }
  }
  const positions = (VISION_TILE / PATCH) ** 2 + 1;
  const position = new Float32Array(positions * D);
  for (let s = 0; s < positions; s++) {
    position[s * D + CONSTANT] = C;
    position[s * D + CONSTANT + 1] = -C;
  }
  // The colours' rms share is tiny next to C's, so this is the norm's own scale: LN(x) is close to x.
  const passNorm = new Float32Array(D).fill(C * Math.sqrt(2 / D));
  const palette = PALETTE.map(normalised);
  const centre = [0, 1, 2].map((ch) => palette.reduce((sum, p) => sum + p[ch], 0) / BINS);
  const fc1 = new Float32Array(VISION_FFN * D);
  const fc1Bias = new Float32Array(VISION_FFN);
  const fc2 = new Float32Array(D * VISION_FFN);
  palette.forEach((p, k) => {
    const away = p.map((v, ch) => v - centre[ch]);
    const length = Math.hypot(...away);
    const unit = away.map((v) => v / length);
    for (let quarter = 0; quarter < 4; quarter++) {
      const row = 4 * k + quarter;
      for (let ch = 0; ch < 3; ch++) fc1[row * D + 3 * quarter + ch] = GAIN * unit[ch];
      fc1Bias[row] = -GAIN * (unit.reduce((sum, u, ch) => sum + u * centre[ch], 0) + length / 2);
      fc2[(BIN + k) * VISION_FFN + row] = 1 / 4;
    }
  });
  const ones = new Float32Array(D).fill(1);
  const zeros = (n: number) => new Float32Array(n);
  const layer = (i: number) => ({
    norm1Weight: ones,
    norm1Bias: zeros(D),
    q: zeros(D * D),
    qBias: zeros(D),
    k: zeros(D * D),
    kBias: zeros(D),
    v: zeros(D * D),
    vBias: zeros(D),
    o: zeros(D * D),
    oBias: zeros(D),
    // Layer 1 is past vision_feature_layer (never read), so it is left empty.
    norm2Weight: i === 0 ? passNorm : ones,
    norm2Bias: zeros(D),
    fc1: i === 0 ? fc1 : zeros(fc1.length),
    fc1Bias: i === 0 ? fc1Bias : zeros(VISION_FFN),
    fc2: i === 0 ? fc2 : zeros(fc2.length),
    fc2Bias: zeros(D),
  });
  const layers = Array.from({ length: VISION_LAYERS }, (_, i) => layer(i));
  const weights = {
    config,
    processor: PROCESSOR,
    patchEmbedding: patch,
    classEmbedding: zeros(D),
    positionEmbedding: position,
    preNormWeight: passNorm,
    preNormBias: zeros(D),
    layers: layers.slice(0, config.featureLayer),
  };
  const p = 'vision_tower.';
  const tensors: NamedTensor[] = [
    { name: `${p}embeddings.class_embedding`, shape: [D], data: weights.classEmbedding },
    { name: `${p}embeddings.patch_embedding.weight`, shape: [D, 3, PATCH, PATCH], data: patch },
    { name: `${p}embeddings.position_embedding.weight`, shape: [positions, D], data: position },
    { name: `${p}pre_layrnorm.weight`, shape: [D], data: passNorm },
    { name: `${p}pre_layrnorm.bias`, shape: [D], data: zeros(D) },
    { name: `${p}post_layernorm.weight`, shape: [D], data: ones },
    { name: `${p}post_layernorm.bias`, shape: [D], data: zeros(D) },
  ];
  layers.forEach((l, i) => {
    const at = `${p}encoder.layers.${i}.`;
    const square = [D, D];
    tensors.push(
      { name: `${at}layer_norm1.weight`, shape: [D], data: l.norm1Weight },
      { name: `${at}layer_norm1.bias`, shape: [D], data: l.norm1Bias },
      { name: `${at}self_attn.q_proj.weight`, shape: square, data: l.q },
      { name: `${at}self_attn.q_proj.bias`, shape: [D], data: l.qBias },
      { name: `${at}self_attn.k_proj.weight`, shape: square, data: l.k },
      { name: `${at}self_attn.k_proj.bias`, shape: [D], data: l.kBias },
      { name: `${at}self_attn.v_proj.weight`, shape: square, data: l.v },
      { name: `${at}self_attn.v_proj.bias`, shape: [D], data: l.vBias },
      { name: `${at}self_attn.out_proj.weight`, shape: square, data: l.o },
      { name: `${at}self_attn.out_proj.bias`, shape: [D], data: l.oBias },
      { name: `${at}layer_norm2.weight`, shape: [D], data: l.norm2Weight },
      { name: `${at}layer_norm2.bias`, shape: [D], data: l.norm2Bias },
      { name: `${at}mlp.fc1.weight`, shape: [VISION_FFN, D], data: l.fc1 },
      { name: `${at}mlp.fc1.bias`, shape: [VISION_FFN], data: l.fc1Bias },
      { name: `${at}mlp.fc2.weight`, shape: [D, VISION_FFN], data: l.fc2 },
      { name: `${at}mlp.fc2.bias`, shape: [D], data: l.fc2Bias },
    );
  });
  return { config, tensors, weights };
}

export interface DemoPicture {
  className: PictogramClass;
  variant: number;
  png: Uint8Array;
}

/** Every class's variants, in class then variant order: the demo's image corpus. */
export function demoPictures(): DemoPicture[] {
  return PICTOGRAM_CLASSES.flatMap((className) =>
    Array.from({ length: PICTOGRAM_VARIANTS }, (_, variant) => ({
      className,
      variant,
      png: drawPictogramVariant(className, variant),
    })),
  );
}

/** Each picture's colour histogram: the bins (after the projector's GELU) averaged over its patches. */
async function meanBins(t: Tower, pictures: DemoPicture[]): Promise<Float64Array[]> {
  const T = TINY_D_MODEL;
  // A pass-through projector: linear_1 and GELU as in the real one, linear_2 the identity.
  const projector1 = new Float32Array(T * VISION_D);
  const projector1Bias = new Float32Array(T);
  for (let j = 0; j < BINS; j++) {
    projector1[j * VISION_D + BIN + j] = 1;
    projector1Bias[j] = OFFSET;
  }
  const identity = new Float32Array(T * T);
  for (let j = 0; j < T; j++) identity[j * T + j] = 1;
  const w: VisionWeights = {
    ...t.weights,
    projector1,
    projector1Bias,
    projector2: identity,
    projector2Bias: new Float32Array(T),
    imageNewline: new Float32Array(T),
  };
  const out: Float64Array[] = [];
  for (const picture of pictures) {
    const pixels = preprocessAnyres(await decodeImage(picture.png, 'pictogram.png'), PROCESSOR);
    const features = referenceImageFeatures(w, pixels.pixelValues, pixels.tiles);
    // A square pictogram keeps every grid patch after unpadding, so the patches are the image positions.
    const patches = features.length / T;
    const mean = new Float64Array(BINS);
    for (let s = 0; s < patches; s++)
      for (let j = 0; j < BINS; j++) mean[j] += (features[s * T + j] - OFFSET) / patches;
    out.push(mean);
  }
  return out;
}

/** Solves A x = b for a small dense A (Gauss-Jordan with partial pivoting). */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) < 1e-9) throw new Error('tiny vision: class histograms are not independent');
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c < m[r].length; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row.slice(n).map((x) => x / m[i][i]));
}

/**
 * Steering an image of class A by k·(v_B - v_A)/sqrt(2) lowers s_A and raises s_B at the same rate, so
 * they cross at (s_A + s_B) / 2; every other class must stay below that, for every target B.
 */
function checkSwitch(scores: Float64Array, own: number, picture: DemoPicture): void {
  scores.forEach((target, b) => {
    if (b === own) return;
    const crossing = (scores[own] + target) / 2;
    scores.forEach((third, c) => {
      if (c !== own && c !== b && third > crossing - MIN_MARGIN)
        throw new Error(
          `tiny vision: ${picture.className} variant ${picture.variant}: class ${c} scores ${third.toFixed(2)}, above the switch to class ${b} at ${crossing.toFixed(2)}`,
        );
    });
  });
}

export interface TinyVision {
  config: Record<string, unknown>;
  tensors: NamedTensor[];
  /** each picture's mean class scores (the projector's output along v_c, averaged over its patches) */
  scores: Float64Array[];
}

export async function tinyVisionWeights(decoder: TinyWeights, pictures = demoPictures()): Promise<TinyVision> {
  const t = tower();
  const bins = await meanBins(t, pictures);
  const classes = decoder.script.classes;
  // Class means with a constant 1 appended: the 17 x 6 matrix M; W = IMAGE_CLASS_SCORE · (M^T M)^-1 M^T.
  const means = classes.map((className) => {
    const own = bins.filter((_, i) => pictures[i].className === className);
    return [...Array.from({ length: BINS }, (_, j) => own.reduce((sum, b) => sum + b[j], 0) / own.length), 1];
  });
  const gram = means.map((a) => means.map((b) => a.reduce((sum, x, j) => sum + x * b[j], 0)));
  const identity = classes.map((_, i) => classes.map((__, j) => (i === j ? IMAGE_CLASS_SCORE : 0)));
  const coefficients = solve(gram, identity); // (M^T M)^-1 · a·I, 6 x 6
  const readout = classes.map((_, c) =>
    means[0].map((__, j) => means.reduce((sum, m, r) => sum + coefficients[c][r] * m[j], 0)),
  );
  const scores = bins.map((b) =>
    Float64Array.from(readout, (row) => row.reduce((sum, w, j) => sum + w * (j < BINS ? b[j] : 1), 0)),
  );
  scores.forEach((s, i) => checkSwitch(s, classes.indexOf(pictures[i].className), pictures[i]));

  const T = TINY_D_MODEL;
  const linear1 = new Float32Array(T * VISION_D);
  const linear1Bias = new Float32Array(T);
  for (let j = 0; j < BINS; j++) {
    linear1[j * VISION_D + BIN + j] = 1;
    linear1Bias[j] = OFFSET;
  }
  const linear2 = new Float64Array(T * T);
  const linear2Bias = Float64Array.from(decoder.imageFlag);
  classes.forEach((_, c) => {
    const v = decoder.directions[c];
    let constant = readout[c][BINS];
    for (let j = 0; j < BINS; j++) {
      for (let i = 0; i < T; i++) linear2[i * T + j] += readout[c][j] * v[i];
      constant -= OFFSET * readout[c][j];
    }
    for (let i = 0; i < T; i++) linear2Bias[i] += constant * v[i];
  });
  return {
    config: visionConfigJson(decoder.script.vocab.indexOf(IMAGE_TOKEN)),
    tensors: [
      ...t.tensors,
      { name: 'multi_modal_projector.linear_1.weight', shape: [T, VISION_D], data: linear1 },
      { name: 'multi_modal_projector.linear_1.bias', shape: [T], data: linear1Bias },
      { name: 'multi_modal_projector.linear_2.weight', shape: [T, T], data: Float32Array.from(linear2) },
      { name: 'multi_modal_projector.linear_2.bias', shape: [T], data: Float32Array.from(linear2Bias) },
      { name: 'image_newline', shape: [T], data: decoder.imageNewline },
    ],
    scores,
  };
}
