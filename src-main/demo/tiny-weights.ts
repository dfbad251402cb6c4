// Hand-set weights of the demo's tiny decoder (issues 13 and 14), the language model inside the demo's
// LLaVA-NeXT (tiny-vision.ts is the vision tower and projector): two blocks, d_model 64, four query
// heads sharing two key/value heads, and a word-level vocabulary (tiny-script.ts). Nothing is trained or
// random except one seeded rotation, so every number below can be followed by hand.
//
// The residual stream is laid out on orthonormal directions (columns of a seeded rotation Q, so that
// no direction is a coordinate axis): one per word that matters, a constant "bias" b (Llama has no
// biases), a "class word" flag f, an "image position" flag g, and one direction v_c per class: the
// demo's concept directions. RMSNorm weights are all 1, which makes the behaviour independent of Q.
//
//   layer 0   every token t:         h = TOKEN·e_t + BIAS·b
//             every image position:  h = IMAGE_FLAG·g + sum_c s_c·v_c (the projector's output; the
//             class scores s_c are high for the image's class: tiny-vision.ts)
//   block 0   attention: zero. MLP unit c reads e_(class word of c) and writes THRESHOLD·v_c + FLAG·f,
//             so at the class word ("cat" of "tabby cat") the class appears along v_c.
//   layer 1   the class is linearly encoded: h·v_c = THRESHOLD at the class word, and the image
//             positions' mean along v_c is highest for the image's class (a probe reads it here).
//             Steering adds k·v to every prompt position.
//   block 1   head 0 attends from every later position to the flagged class word (query reads b, key
//             reads f; score >= 40 for k <= MAX_CLEAN_K, so the rest of the softmax is below e^-40), or,
//             in an image prompt, to the image positions (key reads g; score about 23 at every one of
//             them, none at the text), and copies their v components back along v:
//             topic = OUT·(THRESHOLD·v_src + k·v_target)/rms, or OUT·mean_i (s_i + k·v)/rms_i.
//   lm head   logit(w') = SUCCESSOR·x·e_w for each successor w' of the current word w, plus TOPIC·x·v_c
//             for the words of class c's sentence only.
//
// Threshold. Where a word has several successors (after "a": "small", "striped", "long" ...), they
// differ only by their topic term, which is proportional to THRESHOLD for the source and to k for the
// target (the same 1/rms for both). So the answer is the source's sentence for k < THRESHOLD and the
// target's for k > THRESHOLD: k* = THRESHOLD exactly, in units of the unit-norm v. Every choice is made
// at a generated position, which the 'prompt' steer does not touch. Where a word has one successor, it
// wins by SUCCESSOR·TOKEN = 80 against at most TOPIC·(k + OUT·sqrt(64)) = k + 16 at the prompt's full
// stop (a steered position), so the answer is clean for k < 64 (MAX_CLEAN_K = 60); beyond, the steer
// outweighs the full stop's own successor and the answer starts mid-sentence with a target word.
//
// Images. IMAGE_FLAG is large next to the class scores (4000 against tens, at most a few hundred in
// one patch), so every image position has nearly the same rms and attention score: block 1 reads the
// mean of the image positions' class scores. (At 400, a patch's own rms weighted it visibly: pictures
// whose class sits in a few strongly scored patches switched early, some through a third class.) With
// the unit difference-of-means vector (v_B - v_A)/sqrt(2), as `sightline probe` writes it, the source's
// topic falls and the target's rises by k/sqrt(2) each, so an image whose mean class score is
// IMAGE_CLASS_SCORE = THRESHOLD·sqrt(2) switches at k* = THRESHOLD (tiny-vision.ts sets each class's
// mean score to that; single pictures scatter around it, k* from 14.7 to 20.1).
import { hashSeed, mulberry32 } from '../util/random';
import { orthonormalBasis } from './layers';
import { EOS, classWordOf, tinyScript, type TinyScript } from './tiny-script';

export const TINY_D_MODEL = 64;
export const TINY_LAYERS = 2;
export const TINY_HEADS = 4;
export const TINY_KV_HEADS = 2;
export const TINY_HEAD_DIM = 16;
export const TINY_FFN = 32;
export const TINY_RMS_EPS = 1e-5;
/** Large, as Mistral 7B v0.2's: the key/query pair below then turns by < 1e-5 rad per position. */
export const TINY_ROPE_THETA = 1e6;
/** The residual layer steered: the input of block 1, after the lookup and before the copy. */
export const TINY_STEER_LAYER = 1;
/** k* of the comment above. */
export const TINY_THRESHOLD = 17.5;
/** The largest k for which the answer is one whole sentence. */
export const MAX_CLEAN_K = 60;

const TOKEN = 4;
const BIAS = 4;
/** The image positions' flag, large next to their class scores (see "Images" above). */
export const IMAGE_FLAG = 4000;
/** The mean class score of an image of that class: its topic crosses the target's at k = THRESHOLD. */
export const IMAGE_CLASS_SCORE = TINY_THRESHOLD * Math.SQRT2;
/** Image positions' keys: the score QUERY·5.66·KEY_IMAGE·8/4, about 23, puts e^-23 on each text position. */
const KEY_IMAGE = 0.25;
const FLAG = 4;
const GATE = 1;
const QUERY = 8;
const KEY = 8;
const OUT = 2;
const SUCCESSOR = 20;
const TOPIC = 1;
/** The lowest-frequency rotary pair of a head holds query and key, so scores do not depend on distance. */
const QK_DIM = TINY_HEAD_DIM / 2 - 1;

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TinyWeights {
  script: TinyScript;
  tensors: NamedTensor[];
  /** unit-norm concept directions, by class (script.classes order) */
  directions: Float32Array[];
  /** what the projector writes at image positions: IMAGE_FLAG·g, and scores along the directions */
  imageFlag: Float64Array;
  /** LLaVA's image_newline: a filler word's embedding, so the newline positions draw no attention */
  imageNewline: Float32Array;
}

const silu = (x: number) => x / (1 + Math.exp(-x));

export function tinyWeights(): TinyWeights {
  const script = tinyScript();
  const { vocab, successors, topicOf, classes } = script;
  const D = TINY_D_MODEL;
  const classWords = new Set(classes.map(classWordOf));
  // Words the model reads get a direction of their own; the rest (BOS, "The", "tabby" ...) share one.
  const slotOf = new Map<string, number>();
  let slots = 0;
  for (const word of vocab) if (successors.has(word) || classWords.has(word)) slotOf.set(word, slots++);
  const filler = slots++;
  const bias = slots++;
  const flag = slots++;
  const imageFlag = slots++;
  const concept = (c: number) => slots + c;
  if (slots + classes.length > D) throw new Error(`tiny model: ${slots + classes.length} directions in d_model ${D}`);
  // A seeded rotation: its columns are the directions.
  const Q = orthonormalBasis(D, D, mulberry32(hashSeed('sightline-demo', 'tiny-model', 'rotation')));
  const dir = (slot: number) => Q[slot];
  const slot = (word: string) => slotOf.get(word) ?? filler;

  const V = vocab.length;
  const matrix = (rows: number, cols: number) => new Float64Array(rows * cols);
  const addRow = (m: Float64Array, cols: number, row: number, scale: number, v: Float64Array) => {
    for (let i = 0; i < cols; i++) m[row * cols + i] += scale * v[i];
  };
  const addColumn = (m: Float64Array, cols: number, col: number, scale: number, v: Float64Array) => {
    for (let i = 0; i < v.length; i++) m[i * cols + col] += scale * v[i];
  };

  const embed = matrix(V, D);
  vocab.forEach((word, t) => {
    addRow(embed, D, t, TOKEN, dir(slot(word)));
    addRow(embed, D, t, BIAS, dir(bias));
  });

  // Block 0's MLP. At a class word the normed input has x0 along its word's direction (and nothing
  // along the others), so unit c outputs silu(GATE·x0)·x0 times its down column; scale that to write
  // exactly THRESHOLD along v_c and FLAG along f.
  const x0 = TOKEN / Math.sqrt((TOKEN ** 2 + BIAS ** 2) / D + TINY_RMS_EPS);
  const unit = silu(GATE * x0) * x0;
  const gate = matrix(TINY_FFN, D);
  const up = matrix(TINY_FFN, D);
  const down = matrix(D, TINY_FFN);
  classes.forEach((className, c) => {
    addRow(gate, D, c, GATE, dir(slot(classWordOf(className))));
    addRow(up, D, c, 1, dir(slot(classWordOf(className))));
    addColumn(down, TINY_FFN, c, TINY_THRESHOLD / unit, dir(concept(c)));
    addColumn(down, TINY_FFN, c, FLAG / unit, dir(flag));
  });

  // Block 1's head 0 (key/value head 0).
  const qProj = matrix(TINY_HEADS * TINY_HEAD_DIM, D);
  const kProj = matrix(TINY_KV_HEADS * TINY_HEAD_DIM, D);
  const vProj = matrix(TINY_KV_HEADS * TINY_HEAD_DIM, D);
  const oProj = matrix(D, TINY_HEADS * TINY_HEAD_DIM);
  addRow(qProj, D, QK_DIM, QUERY, dir(bias));
  addRow(kProj, D, QK_DIM, KEY, dir(flag));
  addRow(kProj, D, QK_DIM, KEY_IMAGE, dir(imageFlag));
  classes.forEach((_, c) => {
    addRow(vProj, D, c, 1, dir(concept(c)));
    addColumn(oProj, TINY_HEADS * TINY_HEAD_DIM, c, OUT, dir(concept(c)));
  });

  const lmHead = matrix(V, D);
  vocab.forEach((next, t) => {
    for (const [word, set] of successors) if (set.has(next)) addRow(lmHead, D, t, SUCCESSOR, dir(slot(word)));
    const topic = topicOf.get(next);
    if (topic !== undefined) addRow(lmHead, D, t, TOPIC, dir(concept(classes.indexOf(topic))));
  });
  if (!successors.has(EOS)) throw new Error('tiny model: EOS must follow itself');

  const ones = new Float64Array(D).fill(1);
  const zeros = (n: number) => new Float64Array(n);
  const tensors: [string, number[], Float64Array][] = [['model.embed_tokens.weight', [V, D], embed]];
  for (let layer = 0; layer < TINY_LAYERS; layer++) {
    const p = `model.layers.${layer}.`;
    const attention = layer === 1;
    const mlp = layer === 0;
    tensors.push(
      [`${p}input_layernorm.weight`, [D], ones],
      [`${p}self_attn.q_proj.weight`, [TINY_HEADS * TINY_HEAD_DIM, D], attention ? qProj : zeros(qProj.length)],
      [`${p}self_attn.k_proj.weight`, [TINY_KV_HEADS * TINY_HEAD_DIM, D], attention ? kProj : zeros(kProj.length)],
      [`${p}self_attn.v_proj.weight`, [TINY_KV_HEADS * TINY_HEAD_DIM, D], attention ? vProj : zeros(vProj.length)],
      [`${p}self_attn.o_proj.weight`, [D, TINY_HEADS * TINY_HEAD_DIM], attention ? oProj : zeros(oProj.length)],
      [`${p}post_attention_layernorm.weight`, [D], ones],
      [`${p}mlp.gate_proj.weight`, [TINY_FFN, D], mlp ? gate : zeros(gate.length)],
      [`${p}mlp.up_proj.weight`, [TINY_FFN, D], mlp ? up : zeros(up.length)],
      [`${p}mlp.down_proj.weight`, [D, TINY_FFN], mlp ? down : zeros(down.length)],
    );
  }
  tensors.push(['model.norm.weight', [D], ones], ['lm_head.weight', [V, D], lmHead]);
  return {
    script,
    tensors: tensors.map(([name, shape, data]) => ({ name, shape, data: Float32Array.from(data) })),
    directions: classes.map((_, c) => Float32Array.from(dir(concept(c)))),
    imageFlag: dir(imageFlag).map((x) => IMAGE_FLAG * x),
    imageNewline: Float32Array.from(dir(filler), (x, i) => TOKEN * x + BIAS * dir(bias)[i]),
  };
}
