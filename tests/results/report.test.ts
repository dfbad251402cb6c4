import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { CampaignResults } from '../../src-main/contract/results';
import { nextItems, submitJudgement } from '../../src-main/domain/rating';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import type { Project } from '../../src-main/project/project';
import { formatResults } from '../../src-main/results/format-table';
import { campaignResults } from '../../src-main/results/report';
import { wilsonInterval } from '../../src-main/results/wilson';
import { insertCampaign } from '../../src-main/store/campaigns';
import type { RaterRecord } from '../../src-main/store/raters';
import { conceptItems, contextFor, makeProject, makeRater, researcher } from '../helpers/factories';

type Hidden = { source_class: string; target_class: string; k: number };

/** The rater answers every item they get (up to `limit`), choosing from the item's hidden condition. */
function answerAll(
  project: Project,
  rater: RaterRecord,
  choose: (hidden: Hidden, position: number) => string,
  options: { limit?: number; activeMs?: number } = {},
) {
  for (let done = 0; done < (options.limit ?? Infinity); done++) {
    const [item] = nextItems(project.db, rater, 1).items;
    if (!item) return;
    const { position, hidden_json } = project.db
      .prepare('SELECT i.position, i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
      .get(item.assignmentId) as { position: number; hidden_json: string };
    submitJudgement(project.db, rater, {
      assignmentId: item.assignmentId,
      answer: { concept: choose(JSON.parse(hidden_json), position) },
      activeMs: options.activeMs ?? 4000,
    });
  }
}

function campaign(
  project: Project,
  items: ReturnType<typeof conceptItems>,
  overlap: number,
  settings: Record<string, unknown> = {},
): number {
  return insertCampaign(
    project.db,
    {
      name: 'hand computed',
      template: BUILTIN_TEMPLATES['concept-choice'],
      instructions: 'Pick one.',
      overlap,
      leaseSeconds: 600,
      seed: 3,
      settings,
    },
    items,
  );
}

describe('campaignResults on a campaign computed by hand', () => {
  // 3 items (k = 0, 5, 10 at layer 20), 2 raters. x = target class, y = source class.
  //   item 0: A=x B=x   item 1: A=x B=y   item 2: A=y B=y
  // Nominal alpha: o_xx = 2, o_xy = o_yx = 1, o_yy = 2; n_x = n_y = 3, n = 6.
  //   D_o = 2/6, D_e = 2*3*3/(6*5) = 0.6, alpha = 1 - (1/3)/0.6 = 4/9.
  // Cohen: p_o = 2/3; A gives x 2/3, B gives x 1/3, so p_e = 2/9 + 2/9 = 4/9; kappa = (2/9)/(5/9) = 0.4.
  // Fleiss: P_i = 1, 0, 1 so P-bar = 2/3; p_x = p_y = 1/2 so P_e = 1/2; kappa = (2/3 - 1/2)/(1/2) = 1/3.
  // Steering (success = chose the target): k=0 2/2, k=5 1/2, k=10 0/2.
  function build() {
    const project = makeProject();
    const campaignId = campaign(project, conceptItems(3), 2);
    const [a, b] = ['ana', 'ben'].map((name) => makeRater(project, campaignId, name));
    answerAll(project, a, (hidden, position) => (position < 2 ? hidden.target_class : hidden.source_class));
    answerAll(project, b, (hidden, position) => (position < 1 ? hidden.target_class : hidden.source_class));
    return { project, campaignId };
  }

  it('gives the agreement statistics worked out above', () => {
    const { project, campaignId } = build();
    const results = campaignResults(project.db, campaignId, { bootstrap: { seed: 1, replicates: 200 } });
    expect(results.counts).toEqual({ items: 3, judgements: 6, raters: 2 });
    const [concept] = results.questions;
    expect(concept).toMatchObject({
      questionId: 'concept',
      type: 'choice',
      ratings: 6,
      units: 3,
      raters: 2,
      cohenPairs: 1,
    });
    expect(concept.alpha).toHaveLength(1);
    expect(concept.alpha[0].metric).toBe('nominal');
    expect(concept.alpha[0].alpha).toBeCloseTo(4 / 9, 10);
    expect(concept.alpha[0].lower).toBeLessThanOrEqual(concept.alpha[0].alpha!);
    expect(concept.alpha[0].upper).toBeLessThanOrEqual(1);
    expect(concept.meanCohenKappa).toBeCloseTo(0.4, 10);
    // Each pair, not only the mean: pseudonyms, items in common, kappa (here the one pair is the mean).
    expect(concept.cohenByPair).toEqual([
      {
        raterA: 'R001',
        raterB: 'R002',
        items: 3,
        kappa: expect.closeTo(0.4, 10),
        observedAgreement: expect.closeTo(2 / 3, 10),
      },
    ]);
    expect(concept.fleissKappa).toBeCloseTo(1 / 3, 10);
    expect(concept.percentAgreement).toBeCloseTo(2 / 3, 10);
    // The human output of `sightline results` lists the pair too.
    expect(formatResults(results)).toMatch(
      /Cohen's kappa per rater pair[^\n]*\n.*rater A.*items in common.*\n[- ]+\nconcept\s+R001\s+R002\s+3\s+0\.400\s+66\.7%/,
    );
  });

  it('aggregates labels (the tie stays unresolved) and draws the steering dose-response with Wilson intervals', () => {
    const { project, campaignId } = build();
    const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 50 } });
    const items = conceptItems(3);
    expect(results.labels.map((label) => label.majority)).toEqual([
      items[0].hidden!.target_class,
      null,
      items[2].hidden!.source_class,
    ]);
    expect(results.labels[1].tiedLabels).toHaveLength(2);
    expect(results.labels.every((label) => label.dawidSkene !== null)).toBe(true);
    expect(results.steering?.byLayer).toHaveLength(1);
    const [curve] = results.steering!.byLayer;
    expect(curve.layer).toBe(20);
    expect(curve.points.map((point) => [point.k, point.successes, point.n])).toEqual([
      [0, 2, 2],
      [5, 1, 2],
      [10, 0, 2],
    ]);
    // Wilson 95% for 1 of 2, a published value: [0.0945, 0.9055].
    expect(curve.points[1].lower).toBeCloseTo(0.0945, 4);
    expect(curve.points[1].upper).toBeCloseTo(0.9055, 4);
    expect(results.steering!.byClassPair).toHaveLength(3);
    expect(wilsonInterval(0, 2).lower).toBe(0);
  });

  it('is what results.campaign returns to the researcher', async () => {
    const { project, campaignId } = build();
    const reply = await dispatch(
      'results.campaign',
      { campaignId, bootstrapReplicates: 20, bootstrapSeed: 5 },
      contextFor(project, researcher),
    );
    expect(reply.ok).toBe(true);
    const value = (reply as { ok: true; value: CampaignResults }).value;
    expect(value.bootstrap).toEqual({ seed: 5, replicates: 20 });
    expect(value.questions[0].alpha[0].alpha).toBeCloseTo(4 / 9, 10);
  });
});

describe('campaignResults: gold, speed and unequal rating counts', () => {
  it('scores raters on gold items, flags the fast one, and explains why Fleiss is missing', () => {
    const project = makeProject();
    const items = conceptItems(4);
    items[3] = {
      ...items[3],
      kind: 'gold',
      hidden: { ...items[3].hidden, gold: { concept: items[3].hidden!.target_class } },
    };
    // qcEvery 1: the gold item is due after each rater's first ordinary item.
    const campaignId = campaign(project, items, 3, { qcEvery: 1 });
    const [a, b, c] = ['ana', 'ben', 'cai'].map((name) => makeRater(project, campaignId, name));
    answerAll(project, a, (hidden) => hidden.target_class, { activeMs: 5000 });
    answerAll(project, b, (hidden) => hidden.source_class, { activeMs: 6000 });
    answerAll(project, c, (hidden) => hidden.target_class, { limit: 2, activeMs: 300 });
    const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 50 } });
    const byRater = Object.fromEntries(results.raters.list.map((row) => [row.rater, row]));
    expect(byRater.R001).toMatchObject({
      judgements: 4,
      goldRatings: 1,
      goldAccuracy: 1,
      tooFast: false,
      medianActiveMs: 5000,
    });
    expect(byRater.R002).toMatchObject({ judgements: 4, goldRatings: 1, goldAccuracy: 0, tooFast: false });
    expect(byRater.R003).toMatchObject({
      judgements: 2,
      goldRatings: 1,
      goldAccuracy: 1,
      tooFast: true,
      medianActiveMs: 300,
    });
    expect(results.questions[0].fleissKappa).toBeNull();
    expect(results.questions[0].fleissReason).toMatch(/same number/);
    // Unequal counts: each rater pair with its own number of items in common, and the mean is over these kappas.
    const pairs = results.questions[0].cohenByPair;
    expect(pairs.map((pair) => [pair.raterA, pair.raterB, pair.items])).toEqual([
      ['R001', 'R002', 4],
      ['R001', 'R003', 2],
      ['R002', 'R003', 2],
    ]);
    const defined = pairs.flatMap((pair) => (pair.kappa === null ? [] : [pair.kappa]));
    if (defined.length)
      expect(results.questions[0].meanCohenKappa).toBeCloseTo(defined.reduce((a, b) => a + b, 0) / defined.length, 10);
    expect(results.questions[0].alpha[0].alpha).not.toBeNull();
    // The gold item is left out of the steering curve.
    expect(countGoldJudgements(project)).toBe(3);
    expect(results.steering!.byLayer[0].points.reduce((sum, point) => sum + point.n, 0)).toBe(4 + 4 + 2 - 3);
  });

  it('compares each rater with the majority of the other raters, never with a majority their own vote made', () => {
    // Three raters, two items (t = target, s = source):  item 0: A=t B=t C=s   item 1: A=t B=s C=s.
    // Leave one out: A on item 0 meets B=t, C=s (a tie, not compared); on item 1 B=s, C=s -> disagrees: 0 of 1.
    // B meets ties on both items: nothing compared. C on item 0 meets t, t -> disagrees; item 1 a tie: 0 of 1.
    // (Counting their own votes, A would agree on item 0 and score 1 of 2, B 2 of 2.)
    const project = makeProject();
    const campaignId = campaign(project, conceptItems(2), 3);
    const [a, b, c] = ['ana', 'ben', 'cai'].map((name) => makeRater(project, campaignId, name));
    answerAll(project, a, (hidden) => hidden.target_class);
    answerAll(project, b, (hidden, position) => (position === 0 ? hidden.target_class : hidden.source_class));
    answerAll(project, c, (hidden) => hidden.source_class);
    const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } });
    expect(results.raters.list.map((row) => [row.rater, row.consensusRatings, row.consensusAgreement])).toEqual([
      ['R001', 1, 0],
      ['R002', 0, null],
      ['R003', 1, 0],
    ]);
  });

  it('reports a campaign with no judgements without failing', () => {
    const project = makeProject();
    const campaignId = campaign(project, conceptItems(2), 2);
    const results = campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } });
    expect(results.counts.judgements).toBe(0);
    expect(results.questions[0].alpha[0].alpha).toBeNull();
    expect(results.questions[0].alpha[0].reason).toMatch(/no ratings/);
    expect(results.steering).toBeNull();
  });
});

function countGoldJudgements(project: Project): number {
  return project.db
    .prepare(
      "SELECT COUNT(*) FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id WHERE i.kind = 'gold' AND j.action = 'submit'",
    )
    .pluck()
    .get() as number;
}
