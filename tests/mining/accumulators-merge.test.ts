// FeatureAccumulators.mergeFrom on seeded random firings whose values span twenty powers of two (so
// shards reach different histogram widths and the finer ones must be coarsened): the accumulators of
// three blocks of documents, each numbering its rows as the whole pass does, merge into exactly the
// accumulators of one pass, in any merge order, and choose the same examples.
import { describe, expect, it } from 'vitest';
import { FeatureAccumulators, HIST_BINS, RESERVOIR, type RowInfo } from '../../src-main/mining/accumulators';
import { ROW_IMAGE, ROW_TEXT } from '../../src-main/mining/layout';
import { chooseExamples, DEFAULT_SELECT } from '../../src-main/mining/select';
import { mulberry32 } from '../../src-main/util/random';

const D_SAE = 6;
const K = 3;
const TOP = 4;

interface Token {
  doc: number;
  kind: number;
  values: number[];
  indices: number[];
}

function corpus(seed: number, docs: number): Token[] {
  const random = mulberry32(seed);
  const tokens: Token[] = [];
  for (let doc = 0; doc < docs; doc++) {
    const n = 1 + Math.floor(random() * 12);
    for (let t = 0; t < n; t++) {
      const fired = [...Array(D_SAE).keys()].filter(() => random() < 0.4).slice(0, K);
      // Later documents fire on a larger scale, so the first shard's widths are far finer.
      const values = fired.map(() => 2 ** (random() * 10 - 8 + (doc / docs) * 10)).sort((a, b) => b - a);
      tokens.push({ doc: doc + 1, kind: random() < 0.5 ? ROW_IMAGE : ROW_TEXT, values, indices: fired });
    }
  }
  return tokens;
}

/** Feeds tokens [from, to) of the corpus in batches of 7, numbering rows as the whole pass does. */
function pass(tokens: Token[], from: number, to: number): FeatureAccumulators {
  const acc = new FeatureAccumulators(D_SAE, TOP);
  for (let start = from; start < to; start += 7) {
    const batch = tokens.slice(start, Math.min(to, start + 7));
    const values = new Float32Array(batch.length * K);
    const indices = new Int32Array(batch.length * K);
    const rows: RowInfo = {
      doc: Int32Array.from(batch.map((t) => t.doc)),
      kind: Uint8Array.from(batch.map((t) => t.kind)),
      token: Float64Array.from(batch.map((_, i) => start + i)),
    };
    batch.forEach((t, r) => {
      values.set(t.values, r * K);
      indices.set(t.indices, r * K);
    });
    acc.addBatch(values, indices, batch.length, K, rows, acc.tokens);
  }
  return acc;
}

/** Everything that must agree; a bin's samples and a feature's top documents as sets (their slots' order is free). */
function contents(acc: FeatureAccumulators) {
  const bins = Array.from({ length: D_SAE * HIST_BINS }, (_, b) =>
    Array.from({ length: RESERVOIR }, (_, i) => b * RESERVOIR + i)
      .filter((i) => acc.resDoc[i] >= 0)
      .map((i) => [acc.resKey[i], acc.resDoc[i], acc.resVal[i]])
      .sort((x, y) => x[0] - y[0]),
  );
  const top = Array.from({ length: D_SAE }, (_, f) =>
    Array.from({ length: acc.topSize[f] }, (_, i) => [acc.topVal[f * TOP + i], acc.topDoc[f * TOP + i]]).sort(
      (x, y) => y[0] - x[0],
    ),
  );
  const examples = [...Array(D_SAE).keys()].flatMap((f) => [
    chooseExamples(acc, f, { scheme: 'equal-count', ...DEFAULT_SELECT }),
    chooseExamples(acc, f, { scheme: 'equal-width', ...DEFAULT_SELECT }),
  ]);
  return {
    counters: [acc.tokens, acc.imageTokens, acc.textTokens, acc.atK],
    fires: [acc.fires, acc.imageFires, acc.textFires].map((a) => Array.from(a)),
    max: Array.from(acc.max),
    width: Array.from(acc.width),
    hist: Array.from(acc.hist),
    bins,
    top,
    examples,
  };
}

describe('FeatureAccumulators.mergeFrom', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`three blocks of documents merge into one pass exactly (seed ${seed})`, () => {
      const tokens = corpus(seed, 40);
      const whole = contents(pass(tokens, 0, tokens.length));
      // Cut between documents, as mine --shard does.
      const docStart = (doc: number) => tokens.findIndex((t) => t.doc === doc);
      const cuts = [0, docStart(14), docStart(27), tokens.length];
      const shards = () => [0, 1, 2].map((s) => pass(tokens, cuts[s], cuts[s + 1]));

      const [a, b, c] = shards();
      expect(new Set(a.width).size).toBeGreaterThan(1);
      expect(a.width.some((w, f) => w > 0 && w < c.width[f])).toBe(true);
      expect(whole.hist.some((n) => n > RESERVOIR)).toBe(true);
      a.mergeFrom(b);
      a.mergeFrom(c);
      expect(contents(a)).toEqual(whole);

      // Any order: the last shard first.
      const [x, y, z] = shards();
      z.mergeFrom(x);
      z.mergeFrom(y);
      expect(contents(z)).toEqual(whole);
    });
  }
});
