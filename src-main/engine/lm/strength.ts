// Steering strength in model-relative units (issue 13): the KL divergence KL(steered || unsteered)
// between the next-token distributions at the first generated position (the last prompt token's
// logits), in nats, at temperature 1 whatever the decoding. "k = 12" means different things on
// different models; the KL it causes can be compared across them.

/** KL(P || Q) in nats for P = softmax(p[pOffset..+V]), Q = softmax(q[qOffset..+V]), accumulated in float64. */
export function klFromLogits(
  p: ArrayLike<number>,
  pOffset: number,
  q: ArrayLike<number>,
  qOffset: number,
  vocab: number,
): number {
  const logP = logSoftmax(p, pOffset, vocab);
  const logQ = logSoftmax(q, qOffset, vocab);
  let kl = 0;
  for (let i = 0; i < vocab; i++) kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
  // Rounding can leave a hair below zero for identical distributions; KL itself never is.
  return Math.max(0, kl);
}

function logSoftmax(x: ArrayLike<number>, offset: number, vocab: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, x[offset + i]);
  let total = 0;
  for (let i = 0; i < vocab; i++) total += Math.exp(x[offset + i] - max);
  const logTotal = Math.log(total) + max;
  const out = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) out[i] = x[offset + i] - logTotal;
  return out;
}
