// Issue 15, "Real files in": the reference study's CSV of steered answers goes into a concept-choice
// campaign as published, with one mapping (options made from four class columns, the steering
// condition named by role), is rated through the rater API, and `sightline results` draws the
// steering curve against steering_score. Its CSV of answer pairs goes into a pairwise coherence
// campaign the same way (the criterion and the k = 0 side as fixed values), and `sightline results`
// gives the coherence scores: win rates per side and per k.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import type { CampaignResults } from '../../src-main/contract/results';
import type { RaterNext } from '../../src-main/contract/types';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { findCampaignByName } from '../../src-main/store/campaigns';
import { asRater, contextFor, makeProject, makeRater, researcher } from '../helpers/factories';
import { runCaptured } from '../helpers/cli';

afterEach(() => vi.restoreAllMocks());

const FIXTURES = path.join(import.meta.dirname, '../fixtures/reference-study');
const CSV = path.join(FIXTURES, 'steered-answers.csv');
const MAPPING = path.join(FIXTURES, 'steered-answers.mapping.json');
const PAIRS_CSV = path.join(FIXTURES, 'coherence-pairs.csv');
const PAIRS_MAPPING = path.join(FIXTURES, 'coherence-pairs.mapping.json');
const settings = campaignSettingsSchema.parse({});

/** Runs the CLI in-process and captures what it prints (tests/helpers/cli.ts). */
const cli = runCaptured;

/** `campaign create` from a reference-study CSV and its mapping, two ratings per item, as JSON. */
const createFromCsv = (
  project: ReturnType<typeof makeProject>,
  name: string,
  template: string,
  items: string,
  mapping: string,
) =>
  cli([
    'campaign',
    'create',
    '--project',
    project.dir,
    '--name',
    name,
    '--template',
    template,
    '--items',
    items,
    '--mapping',
    mapping,
    '--overlap',
    '2',
    '--json',
  ]);

const itemsOf = (project: ReturnType<typeof makeProject>) =>
  (
    project.db.prepare('SELECT payload_json, hidden_json, condition FROM items ORDER BY position').all() as {
      payload_json: string;
      hidden_json: string;
      condition: string | null;
    }[]
  ).map((row) => ({
    payload: JSON.parse(row.payload_json) as Record<string, unknown>,
    hidden: JSON.parse(row.hidden_json) as Record<string, unknown>,
    condition: row.condition,
  }));

/**
 * A rater who reads the answer and picks the concept it names (the rater sees only the payload the
 * server sends: question, answer and the options in their own order).
 */
async function rateAll(project: ReturnType<typeof makeProject>, campaignId: number, name: string): Promise<number> {
  const context = contextFor(project, asRater(makeRater(project, campaignId, name)));
  let submitted = 0;
  for (;;) {
    const next = await dispatch('rater.next', { count: 1 }, context);
    if (!next.ok) throw new Error(JSON.stringify(next));
    const [item] = (next.value as RaterNext).items;
    if (!item) return submitted;
    const answer = String(item.payload.answer).toLowerCase();
    const question = item.questions[0];
    if (question.type !== 'choice' && question.type !== 'multi') throw new Error('expected the concept choice');
    const options = question.options;
    const named = options.find((option) => option.value !== 'none' && answer.includes(option.label.toLowerCase()));
    const result = await dispatch(
      'rater.submit',
      { assignmentId: item.assignmentId, answer: { concept: named?.value ?? 'none' }, activeMs: 3000 },
      context,
    );
    if (!result.ok) throw new Error(JSON.stringify(result));
    submitted++;
  }
}

describe('the reference study CSV with one mapping', () => {
  it('campaign create builds options from four columns and the steering condition by role; results draw the curve by steering_score', async () => {
    const project = makeProject();
    const created = await createFromCsv(project, 'Steered answers', 'concept-choice', CSV, MAPPING);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ items: 20 });

    const items = itemsOf(project);
    expect(items[0].payload).toEqual({
      question: 'What is shown in this image? Answer in one sentence.',
      answer: 'The image shows a goldfish, photographed up close.',
      options: ['goldfish', 'volcano', 'strawberry', 'tabby cat'],
    });
    // The roles fill the hidden fields the results read; the strength is the balanced condition.
    expect(items[3].hidden).toEqual({ k: 30, source_class: 'goldfish', target_class: 'volcano', layer: 20 });
    expect(items.map((item) => item.condition).slice(0, 4)).toEqual(['k=0', 'k=10', 'k=20', 'k=30']);

    const campaignId = findCampaignByName(project.db, 'Steered answers').id;
    expect(await rateAll(project, campaignId, 'ana')).toBe(20);
    expect(await rateAll(project, campaignId, 'ben')).toBe(20);

    const results = await cli([
      'results',
      '--project',
      project.dir,
      '--campaign',
      'Steered answers',
      '--replicates',
      '20',
      '--json',
    ]);
    expect(results.code).toBe(0);
    const steering = (JSON.parse(results.out) as CampaignResults).steering!;
    expect(steering.questionId).toBe('concept');
    expect(steering.byLayer.map((curve) => curve.layer)).toEqual([20]);
    // 5 class pairs × 2 raters per k; the answers name the target from k = 20 on.
    expect(steering.byLayer[0].points.map((point) => [point.k, point.successes, point.n])).toEqual([
      [0, 0, 10],
      [10, 0, 10],
      [20, 10, 10],
      [30, 10, 10],
    ]);
    expect(steering.byClassPair.map((curve) => `${curve.sourceClass}→${curve.targetClass}`)).toContain(
      'goldfish→volcano',
    );

    const table = await cli([
      'results',
      '--project',
      project.dir,
      '--campaign',
      'Steered answers',
      '--replicates',
      '20',
    ]);
    expect(table.out).toMatch(/k\s+n\s+success/);
  });

  it('the coherence pairs CSV with one mapping: results give the coherence scores by side and by k', async () => {
    const project = makeProject();
    const created = await createFromCsv(project, 'Coherence', 'pairwise', PAIRS_CSV, PAIRS_MAPPING);
    expect(created.err).toBe('');
    expect(JSON.parse(created.out)).toMatchObject({ items: 15 });
    const items = itemsOf(project);
    expect(items[2]).toEqual({
      payload: {
        prompt: 'What is shown in this image? Answer in one sentence.',
        a: 'volcano volcano, volcano -- the the volcano',
        b: 'The image shows a goldfish, photographed up close.',
        criterion: 'Which answer is more coherent?',
      },
      hidden: { a: 30, b: 0, layer: 20 },
      condition: null,
    });

    // Raters who read both texts (in the order shown) and prefer the one that is not degraded;
    // two sound answers are a tie. Only the k = 30 answers are degraded.
    const campaignId = findCampaignByName(project.db, 'Coherence').id;
    for (const name of ['ana', 'ben']) {
      const context = contextFor(project, asRater(makeRater(project, campaignId, name)));
      for (;;) {
        const next = await dispatch('rater.next', { count: 1 }, context);
        if (!next.ok) throw new Error(JSON.stringify(next));
        const [item] = (next.value as RaterNext).items;
        if (!item) break;
        const { a: left, b: right } = item.payload as { a: string; b: string };
        const degraded = (text: string) => text.includes(' -- ');
        const preference = degraded(left) === degraded(right) ? 'tie' : degraded(left) ? 'right' : ('left' as const);
        const result = await dispatch(
          'rater.submit',
          { assignmentId: item.assignmentId, answer: { preference }, activeMs: 3000 },
          context,
        );
        if (!result.ok) throw new Error(JSON.stringify(result));
      }
    }

    const results = await cli(['results', '--project', project.dir, '--campaign', 'Coherence', '--json']);
    expect(results.code).toBe(0);
    const pairwise = (JSON.parse(results.out) as CampaignResults).pairwise!;
    expect(pairwise.judgements).toBe(30);
    // Field a (the steered answer) lost the 10 judgements of k = 30 and tied the other 20.
    expect(pairwise.sides.map((side) => [side.field, side.wins, side.losses, side.ties])).toEqual([
      ['a', 0, 10, 20],
      ['b', 10, 0, 20],
    ]);
    expect(pairwise.sides[1].winRate).toMatchObject({ successes: 10, n: 30 });
    expect(pairwise.systems.map((system) => [system.system, system.wins, system.losses, system.ties])).toEqual([
      ['0', 10, 0, 20],
      ['10', 0, 0, 10],
      ['20', 0, 0, 10],
      ['30', 0, 10, 0],
    ]);
    // Four systems meet, but only k = 30 ever lost: no finite strengths, and the results say why.
    expect(pairwise.bradleyTerry).toMatchObject({ fitted: false, reason: expect.stringContaining('unbounded') });
    const table = await cli(['results', '--project', project.dir, '--campaign', 'Coherence']);
    expect(table.out).toContain('Pairwise (30 judgements)');
  });

  it('without the steering roles the results say why there is no curve and what to map', async () => {
    const project = makeProject();
    const mapping = { payload: JSON.parse(fs.readFileSync(MAPPING, 'utf8')).payload };
    const { campaignId } = createCampaign(project.db, {
      name: 'no roles',
      template: 'concept-choice',
      instructions: '',
      settings: { ...settings, overlap: 1 },
      source: { kind: 'file', fileName: 'steered-answers.csv', text: fs.readFileSync(CSV, 'utf8'), mapping },
    });
    await rateAll(project, campaignId, 'ana');
    const results = await dispatch(
      'results.campaign',
      { campaignId, bootstrapReplicates: 20 },
      contextFor(project, researcher),
    );
    if (!results.ok) throw new Error(JSON.stringify(results));
    const value = results.value as CampaignResults;
    expect(value.steering).toBeNull();
    const note = value.notes.find((line) => line.startsWith('No steering curve'));
    expect(note).toContain('20 of 20 rated items have no numeric steering strength (hidden.k)');
    expect(note).toContain('"steering": {"strength": "steering_score"');
  });

  it('a fixed value fills a field the file lacks: the coherence pairs get their criterion from {"const": ...}', () => {
    const project = makeProject();
    const text = 'prompt,answer_a,answer_b\nDescribe the image.,A goldfish in a bowl.,"Goldfish, goldfish goldfish."\n';
    const mapping = {
      payload: {
        prompt: 'prompt',
        a: 'answer_a',
        b: 'answer_b',
        criterion: { const: 'Which answer is more coherent?' },
      },
    };
    createCampaign(project.db, {
      name: 'coherence',
      template: 'pairwise',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'pairs.csv', text, mapping },
    });
    expect(itemsOf(project)[0].payload).toEqual({
      prompt: 'Describe the image.',
      a: 'A goldfish in a bowl.',
      b: 'Goldfish, goldfish goldfish.',
      criterion: 'Which answer is more coherent?',
    });
  });

  it('an empty class cell is left out of the options; a non-numeric strength is refused naming the row and column', () => {
    const project = makeProject();
    const header = 'question,answer,og_class,target_class,distractor1,distractor2,steering_score,layer\n';
    const mapping = JSON.parse(fs.readFileSync(MAPPING, 'utf8'));
    createCampaign(project.db, {
      name: 'short',
      template: 'concept-choice',
      instructions: '',
      settings,
      source: { kind: 'file', fileName: 'short.csv', text: `${header}q,a,cat,dog,bird,,5,20\n`, mapping },
    });
    expect(itemsOf(project)[0].payload.options).toEqual(['cat', 'dog', 'bird']);
    const before = project.db.prepare('SELECT COUNT(*) FROM items').pluck().get();
    const bad = `${header}q,a,cat,dog,bird,fish,5,20\nq,a,cat,dog,bird,fish,strong,20\n`;
    expect(() =>
      createCampaign(project.db, {
        name: 'bad',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'bad.csv', text: bad, mapping },
      }),
    ).toThrow(/^bad\.csv: row 2: steering_score: expected a number \(the steering strength\), found "strong"/);
    expect(project.db.prepare('SELECT COUNT(*) FROM items').pluck().get()).toBe(before);
  });

  it('a mapping naming a column the file lacks (in an array or a role) is refused, naming it', () => {
    const project = makeProject();
    const text = 'question,answer,a,b\nq,x,cat,dog\n';
    const run = (mapping: object) => () =>
      createCampaign(project.db, {
        name: 'm',
        template: 'concept-choice',
        instructions: '',
        settings,
        source: { kind: 'file', fileName: 'm.csv', text, mapping },
      });
    expect(run({ payload: { question: 'question', answer: 'answer', options: ['a', 'b', 'c'] } })).toThrow(
      /m\.csv: column c: expected a column named in the mapping/,
    );
    expect(
      run({ payload: { question: 'question', answer: 'answer', options: ['a', 'b'] }, steering: { strength: 'k' } }),
    ).toThrow(/m\.csv: column k: expected a column named in the mapping/);
    expect(
      run({
        payload: { question: 'question', answer: 'answer', options: ['a', 'b'] },
        hidden: { k: 'a' },
        steering: { strength: 'b' },
      }),
    ).toThrow(/steering\.strength and hidden\.k both fill/);
  });
});
