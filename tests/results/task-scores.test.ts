// Every task scored (issue 15): intruder accuracy, detection precision / recall / F1 and pairwise
// win rates with Bradley–Terry strengths, each on a small campaign worked out by hand in the comments;
// `sightline results --json` carries the same scores.
import { describe, expect, it } from 'vitest';
import type { Answer, RaterItem } from '../../src-main/contract/types';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import type { Project } from '../../src-main/project/project';
import { formatResults } from '../../src-main/results/format-table';
import { campaignResults } from '../../src-main/results/report';
import { wilsonInterval } from '../../src-main/results/wilson';
import { insertCampaign, type NewItem } from '../../src-main/store/campaigns';
import { runCaptured } from '../helpers/cli';
import { makeProject, makeRater } from '../helpers/factories';

/** What `sightline results --json` prints for the campaign named `name`. */
async function resultsJson(project: Project, name: string): Promise<Record<string, unknown>> {
  const { code, out } = await runCaptured(['results', '--project', project.dir, '--campaign', name, '--json']);
  expect(code).toBe(0);
  return JSON.parse(out) as Record<string, unknown>;
}

const insertSae = (db: Project['db']): number =>
  Number(
    db
      .prepare(
        'INSERT INTO saes (name, format, architecture, layer, hook_point, d_in, d_sae, path, size, sha256, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run('sae', 'saelens', 'relu', 20, 'resid_post', 8, 32, '/x', 1, 'c'.repeat(64), '{}', 0).lastInsertRowid,
  );
const insertFeature = (db: Project['db'], saeId: number, index: number): number =>
  Number(
    db.prepare('INSERT INTO features (sae_id, feature_index, modality) VALUES (?, ?, ?)').run(saeId, index, 'text')
      .lastInsertRowid,
  );

/** Text examples e1 … eN as from-project.ts builds them: option value by shown place, no label. */
const examples = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    value: `e${index + 1}`,
    tokens: [{ token: `example ${index + 1}`, value: 0 }],
  }));
const optionExamples = (count: number) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`e${index + 1}`, { example_id: index + 1, document_id: index + 1 }]),
  );

/** Each named rater answers every item they are given; answer(rater index, item position, item). */
function rate(
  project: Project,
  campaignId: number,
  raters: number,
  answer: (rater: number, position: number, item: RaterItem) => Answer,
) {
  for (let r = 0; r < raters; r++) {
    const rater = makeRater(project, campaignId, `rater ${r}`);
    for (;;) {
      const [item] = nextItems(project.db, rater, 1).items;
      if (!item) break;
      const position = project.db
        .prepare('SELECT i.position FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
        .pluck()
        .get(item.assignmentId) as number;
      submitJudgement(project.db, rater, {
        assignmentId: item.assignmentId,
        answer: answer(r, position, item),
        activeMs: 3000,
      });
    }
  }
}

const campaign = (project: Project, templateId: string, items: NewItem[], overlap: number) =>
  insertCampaign(
    project.db,
    {
      name: templateId,
      template: BUILTIN_TEMPLATES[templateId],
      instructions: 'Rate.',
      overlap,
      leaseSeconds: 600,
      seed: 7,
    },
    items,
  );

describe('intruder score', () => {
  it('gives accuracy against the hidden intruder per item, per feature and overall, with Wilson intervals', async () => {
    const project = makeProject();
    const saeId = insertSae(project.db);
    const features = [insertFeature(project.db, saeId, 12), insertFeature(project.db, saeId, 3)];
    // Item 0 (feature #12): intruder e3; raters answer e3, e3, e2 -> 2 / 3.
    // Item 1 (feature #3):  intruder e1; all three answer e1 -> 3 / 3. Overall 5 / 6; chance 1 / 5.
    const intruders = ['e3', 'e1'];
    const items = features.map((featureId, index) => ({
      payload: { examples: examples(5) },
      hidden: {
        feature_id: featureId,
        sae_id: saeId,
        intruder_option: intruders[index],
        option_examples: optionExamples(5),
      },
    }));
    const campaignId = campaign(project, 'intruder', items, 3);
    rate(project, campaignId, 3, (rater, position) => ({
      intruder: position === 0 && rater === 2 ? 'e2' : intruders[position],
    }));
    const intruder = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } }).intruder!;
    expect(intruder.questionId).toBe('intruder');
    expect(intruder.chance).toBeCloseTo(1 / 5, 12);
    expect(intruder.overall).toEqual({ successes: 5, n: 6, rate: 5 / 6, ...wilsonInterval(5, 6) });
    expect(intruder.byItem).toEqual([
      {
        itemId: expect.any(Number),
        itemPosition: 0,
        featureId: features[0],
        successes: 2,
        n: 3,
        rate: 2 / 3,
        ...wilsonInterval(2, 3),
      },
      {
        itemId: expect.any(Number),
        itemPosition: 1,
        featureId: features[1],
        successes: 3,
        n: 3,
        rate: 1,
        lower: wilsonInterval(3, 3).lower,
        upper: 1,
      },
    ]);
    // Sorted by feature index, numerically: #3 before #12.
    expect(intruder.byFeature.map((row) => [row.featureIndex, row.successes, row.n, row.items])).toEqual([
      [3, 3, 3, 1],
      [12, 2, 3, 1],
    ]);
    // Wilson 95% for 2 of 3, by hand: centre (2/3 + 1.9208/3) / (1 + 3.8415/3) = 0.5730, half-width 0.3652.
    expect(intruder.byFeature[1].lower).toBeCloseTo(0.2077, 3);
    expect(intruder.byFeature[1].upper).toBeCloseTo(0.9385, 3);
    expect(formatResults(campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } }))).toContain(
      'Intruder accuracy: 5/6 = 83.3%',
    );
    expect((await resultsJson(project, 'intruder')).intruder).toEqual(intruder);
  });
});

describe('detection score', () => {
  it('gives precision, recall and F1 against the hidden activating examples, and the tick rate per quantile bucket', async () => {
    const project = makeProject();
    const featureId = insertFeature(project.db, insertSae(project.db), 7);
    // e1 e2 e3 (top) and e4 (q1) activate; e5 e6 are another feature's.
    const item: NewItem = {
      payload: { label: 'dogs', examples: examples(6) },
      hidden: {
        feature_id: featureId,
        activating_options: ['e1', 'e2', 'e3', 'e4'],
        option_examples: optionExamples(6),
        mix: { activating: 4, non_activating: 2, activating_buckets: ['top', 'top', 'top', 'q1'] },
      },
    };
    const campaignId = campaign(project, 'feature-detection', [item], 3);
    // r0 ticks e1 e2 e3: TP 3, FN 1, FP 0, TN 2.  r1 ticks e1 e2 e5: TP 2, FN 2, FP 1, TN 1.
    // r2 ticks nothing: TP 0, FN 4, FP 0, TN 2.   Total TP 5, FP 1, FN 7, TN 5:
    // precision 5/6, recall 5/12, F1 = 2*5 / (2*5 + 1 + 7) = 5/9, accuracy 10/18 = 5/9.
    const ticks = [['e1', 'e2', 'e3'], ['e1', 'e2', 'e5'], []];
    rate(project, campaignId, 3, (rater) => ({ activating: ticks[rater] }));
    const detection = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } }).detection!;
    const expected = { truePositives: 5, falsePositives: 1, falseNegatives: 7, trueNegatives: 5 };
    expect(detection.judgements).toBe(3);
    expect(detection.overall).toMatchObject(expected);
    expect(detection.overall.precision).toBeCloseTo(5 / 6, 12);
    expect(detection.overall.recall).toBeCloseTo(5 / 12, 12);
    expect(detection.overall.f1).toBeCloseTo(5 / 9, 12);
    expect(detection.overall.accuracy).toBeCloseTo(5 / 9, 12);
    expect(detection.byFeature).toEqual([
      { featureId, saeId: expect.any(Number), featureIndex: 7, judgements: 3, ...detection.overall },
    ]);
    // top: 9 shown, 5 ticked; q1: 3 shown, none ticked; non-activating: 6 shown, 1 ticked (the false-positive rate).
    expect(detection.byBucket.map((row) => [row.bucket, row.activating, row.successes, row.n])).toEqual([
      ['top', true, 5, 9],
      ['q1', true, 0, 3],
      ['non-activating', false, 1, 6],
    ]);
    expect(detection.byBucket[0]).toMatchObject(wilsonInterval(5, 9));
    expect((await resultsJson(project, 'feature-detection')).detection).toEqual(detection);
  });
});

describe('pairwise score', () => {
  it('gives win rates per side and per system, and recovers Bradley–Terry strengths 1 : 2 : 4', () => {
    const project = makeProject();
    // Systems k=0, k=5, k=10 with strengths 1 : 2 : 4. Games (a vs b) and wins of a, matching the
    // expected counts exactly: k=0–k=5 3 games (1 won by a), k=0–k=10 5 (1), k=5–k=10 3 (1).
    const games: [string, string, number, number][] = [
      ['k=0', 'k=5', 3, 1],
      ['k=0', 'k=10', 5, 1],
      ['k=5', 'k=10', 3, 1],
    ];
    const items: NewItem[] = [];
    const winners: string[] = [];
    for (const [a, b, count, aWins] of games) {
      for (let game = 0; game < count; game++) {
        items.push({
          payload: {
            prompt: 'Describe the image.',
            a: `answer of ${a}`,
            b: `answer of ${b}`,
            criterion: 'Which is more coherent?',
          },
          hidden: { a, b },
        });
        winners.push(game < aWins ? a : b);
      }
    }
    const campaignId = campaign(project, 'pairwise', items, 1);
    // Sides are counterbalanced: the rater sees either text on the left, and picks the winner's side.
    rate(project, campaignId, 1, (_rater, position, item) => ({
      preference: item.payload.a === `answer of ${winners[position]}` ? 'left' : 'right',
    }));
    const pairwise = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } }).pairwise!;
    expect(pairwise.fields).toEqual(['a', 'b']);
    expect(pairwise.judgements).toBe(11);
    // Field a won 3 of 11 comparisons, field b 8.
    expect(pairwise.sides).toEqual([
      {
        field: 'a',
        wins: 3,
        losses: 8,
        ties: 0,
        winRate: { successes: 3, n: 11, rate: 3 / 11, ...wilsonInterval(3, 11) },
      },
      {
        field: 'b',
        wins: 8,
        losses: 3,
        ties: 0,
        winRate: { successes: 8, n: 11, rate: 8 / 11, ...wilsonInterval(8, 11) },
      },
    ]);
    // Numeric order, not text order ("k=10" < "k=5").
    expect(pairwise.systems.map((system) => [system.system, system.wins, system.losses, system.comparisons])).toEqual([
      ['k=0', 2, 6, 8],
      ['k=5', 3, 3, 6],
      ['k=10', 6, 2, 8],
    ]);
    expect(pairwise.bradleyTerry).toMatchObject({ fitted: true, converged: true, reason: null });
    [1 / 7, 2 / 7, 4 / 7].forEach((strength, index) =>
      expect(pairwise.systems[index].strength).toBeCloseTo(strength, 8),
    );
  });

  it('gives no Bradley–Terry fit for two systems, where the win rate says it all', () => {
    const project = makeProject();
    const items = [0, 1].map(() => ({
      payload: { prompt: 'p', a: 'x', b: 'y', criterion: 'c' },
      hidden: { a: 'k=0', b: 'k=20' },
    }));
    const campaignId = campaign(project, 'pairwise', items, 2);
    rate(project, campaignId, 2, () => ({ preference: 'tie' }));
    const pairwise = campaignResults(project.db, campaignId, { bootstrap: { replicates: 20 } }).pairwise!;
    expect(pairwise.bradleyTerry).toBeNull();
    expect(pairwise.systems.map((system) => [system.system, system.ties, system.strength])).toEqual([
      ['k=0', 4, null],
      ['k=20', 4, null],
    ]);
  });
});
