// The maths of `sightline probe` (issue 14, after "Line of Sight"): class means of pooled activations,
// difference-of-means directions v_A→B = μ_B − μ_A, and a multiclass logistic probe (softmax with an
// L2 penalty on the weights, fitted by L-BFGS on the full batch: deterministic, no learning rate to
// tune) scored on a held-out, class-stratified validation split. Sums run in float64.
import { mulberry32 } from '../util/random';

/** Mean of the rows of `x` ([n, d]) whose label is `cls`. */
export function classMean(x: Float32Array, labels: Int32Array, d: number, cls: number): Float64Array {
  const mean = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== cls) continue;
    n++;
    for (let k = 0; k < d; k++) mean[k] += x[i * d + k];
  }
  for (let k = 0; k < d; k++) mean[k] /= n;
  return mean;
}

export interface DiffOfMeans {
  raw: Float32Array;
  unit: Float32Array;
  norm: number;
}

/** v_A→B = μ_B − μ_A, and the same scaled to unit length. */
export function diffOfMeans(meanA: Float64Array, meanB: Float64Array): DiffOfMeans {
  const d = meanA.length;
  const diff = new Float64Array(d);
  let sq = 0;
  for (let k = 0; k < d; k++) {
    diff[k] = meanB[k] - meanA[k];
    sq += diff[k] * diff[k];
  }
  const norm = Math.sqrt(sq);
  return {
    raw: Float32Array.from(diff),
    unit: Float32Array.from(diff, (v) => (norm > 0 ? v / norm : 0)),
    norm,
  };
}

/**
 * Indices for validation: per class, a seeded shuffle of its members, the first round(n·fraction)
 * taken (at least one when the class has two or more), so every class is in both splits.
 */
export function stratifiedSplit(
  labels: Int32Array,
  classes: number,
  fraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  const random = mulberry32(seed);
  const train: number[] = [];
  const validation: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members: number[] = [];
    labels.forEach((l, i) => l === c && members.push(i));
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    let take = Math.round(members.length * fraction);
    if (fraction > 0 && members.length >= 2) take = Math.min(members.length - 1, Math.max(1, take));
    validation.push(...members.slice(0, take));
    train.push(...members.slice(take));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

export interface LogisticProblem {
  /** [n, d] features */
  x: Float32Array;
  labels: Int32Array;
  d: number;
  classes: number;
  /** the rows to fit on */
  rows: readonly number[];
  /** L2 penalty on the weights (not the biases), λ/2·‖W‖² added to the mean cross-entropy */
  l2: number;
}

/**
 * The objective at theta = [W (classes × d) row-major, b (classes)], and its gradient: mean softmax
 * cross-entropy over `rows` plus λ/2·‖W‖².
 */
export function logisticLoss(p: LogisticProblem, theta: Float64Array, grad?: Float64Array): number {
  const { x, labels, d, classes: C, rows, l2 } = p;
  const bias = C * d;
  grad?.fill(0);
  const logits = new Float64Array(C);
  let loss = 0;
  for (const i of rows) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = theta[bias + c];
      for (let k = 0; k < d; k++) z += theta[c * d + k] * x[i * d + k];
      logits[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[c] - max);
    const logSum = max + Math.log(sum);
    loss += logSum - logits[labels[i]];
    if (!grad) continue;
    for (let c = 0; c < C; c++) {
      const g = Math.exp(logits[c] - logSum) - (c === labels[i] ? 1 : 0);
      grad[bias + c] += g;
      for (let k = 0; k < d; k++) grad[c * d + k] += g * x[i * d + k];
    }
  }
  const n = rows.length;
  loss /= n;
  let sq = 0;
  for (let j = 0; j < bias; j++) sq += theta[j] * theta[j];
  loss += (l2 / 2) * sq;
  if (grad) {
    for (let j = 0; j < grad.length; j++) grad[j] /= n;
    for (let j = 0; j < bias; j++) grad[j] += l2 * theta[j];
  }
  return loss;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

export interface FitResult {
  theta: Float64Array;
  loss: number;
  gradientNorm: number;
  iterations: number;
}

/**
 * L-BFGS (Nocedal & Wright, Algorithm 7.4: the two-loop recursion, memory 10) with a backtracking
 * Armijo line search, from theta = 0. Stops when the gradient's max-norm is below `tolerance`.
 */
export function fitLogistic(
  p: LogisticProblem,
  options: { maxIterations?: number; tolerance?: number } = {},
): FitResult {
  const size = p.classes * p.d + p.classes;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-6;
  const memory = 10;
  let theta = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = logisticLoss(p, theta, grad);
  const history: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  const maxAbs = (g: Float64Array) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let iteration = 0;
  for (; iteration < maxIterations && maxAbs(grad) > tolerance; iteration++) {
    // Two-loop recursion: direction = −H·grad.
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let m = history.length - 1; m >= 0; m--) {
      const { s, y, rho } = history[m];
      const alpha = rho * dot(s, q);
      alphas[m] = alpha;
      for (let j = 0; j < size; j++) q[j] -= alpha * y[j];
    }
    const last = history[history.length - 1];
    const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.max(1, maxAbs(grad));
    for (let j = 0; j < size; j++) q[j] *= gamma;
    for (let m = 0; m < history.length; m++) {
      const { s, y, rho } = history[m];
      const beta = rho * dot(y, q);
      for (let j = 0; j < size; j++) q[j] += s[j] * (alphas[m] - beta);
    }
    for (let j = 0; j < size; j++) q[j] = -q[j];
    let slope = dot(grad, q);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      history.length = 0;
      for (let j = 0; j < size; j++) q[j] = -grad[j];
      slope = dot(grad, q);
    }
    let step = 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = Infinity;
    for (let tries = 0; tries < 60; tries++, step /= 2) {
      for (let j = 0; j < size; j++) next[j] = theta[j] + step * q[j];
      nextLoss = logisticLoss(p, next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
    }
    if (!(nextLoss < loss)) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      s[j] = next[j] - theta[j];
      y[j] = nextGrad[j] - grad[j];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      history.push({ s, y, rho: 1 / sy });
      if (history.length > memory) history.shift();
    }
    theta = next;
    grad = nextGrad;
    loss = nextLoss;
  }
  return { theta, loss, gradientNorm: maxAbs(grad), iterations: iteration };
}

/** The class with the highest logit for row i (the lowest class index on a tie). */
export function predict(theta: Float64Array, x: Float32Array, d: number, classes: number, i: number): number {
  let best = 0;
  let bestZ = -Infinity;
  for (let c = 0; c < classes; c++) {
    let z = theta[classes * d + c];
    for (let k = 0; k < d; k++) z += theta[c * d + k] * x[i * d + k];
    if (z > bestZ) (bestZ = z), (best = c);
  }
  return best;
}

export function accuracy(
  theta: Float64Array,
  x: Float32Array,
  labels: Int32Array,
  d: number,
  classes: number,
  rows: readonly number[],
): number {
  if (rows.length === 0) return Number.NaN;
  let right = 0;
  for (const i of rows) if (predict(theta, x, d, classes, i) === labels[i]) right++;
  return right / rows.length;
}
