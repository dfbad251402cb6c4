import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { campaignSettingsSchema } from '../../src-main/contract/campaign-create';
import { methodNames, contract } from '../../src-main/contract';
import { createDemoProject } from '../../src-main/demo/create';
import { createCampaign } from '../../src-main/domain/campaigns/create';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject } from '../../src-main/project/project';
import { getFeature } from '../../src-main/store/features';
import { insertCampaign } from '../../src-main/store/campaigns';
import { asRater, contextFor, makeProject, makeRater, tempDir } from '../helpers/factories';

describe('blinding across every template', () => {
  const demoDir = path.join(tempDir(), 'demo.sightline');
  // The demo (capture, probe, sweeps) is set-up, under the hooks' longer timeout.
  beforeAll(() => createDemoProject(demoDir));

  it('no rater response of any template carries hidden fields, conditions or the answer key', async () => {
    const project = openProject(demoDir);
    try {
      const featureIds = project.db
        .prepare(
          "SELECT f.id FROM features f WHERE (SELECT COUNT(*) FROM examples e WHERE e.feature_id = f.id AND e.bucket = 'top') >= 5 ORDER BY f.id LIMIT 4",
        )
        .pluck()
        .all() as number[];
      const sources: Record<string, any> = {
        'feature-label': { kind: 'features', featureIds },
        'feature-detection': { kind: 'features', featureIds },
        intruder: { kind: 'features', featureIds },
        'concept-choice': { kind: 'generations' },
        'concept-relatedness': { kind: 'generations' },
        pairwise: { kind: 'generations' },
      };
      expect(Object.keys(sources).sort()).toEqual(Object.keys(BUILTIN_TEMPLATES).sort());
      const raterMethods = methodNames.filter((name) => contract[name].role === 'rater');
      for (const [templateId, source] of Object.entries(sources)) {
        const { campaignId } = createCampaign(project.db, {
          name: `blind ${templateId}`,
          template: templateId,
          instructions: '',
          settings: campaignSettingsSchema.parse({ overlap: 2 }),
          source,
        });
        if (templateId === 'feature-detection') {
          // The mix is recorded (hidden): which examples activate, from the top and a quantile bucket, and how many do not.
          const hidden = JSON.parse(
            project.db
              .prepare('SELECT hidden_json FROM items WHERE campaign_id = ? ORDER BY position LIMIT 1')
              .pluck()
              .get(campaignId) as string,
          );
          const activating = hidden.activating_example_ids as string[];
          expect(hidden.mix.activating).toBe(activating.length);
          expect(hidden.mix.non_activating).toBeGreaterThan(0);
          const buckets = project.db
            .prepare(`SELECT bucket FROM examples WHERE id IN (${activating.map(() => '?').join(',')})`)
            .pluck()
            .all(...activating.map(Number)) as string[];
          expect(buckets).toContain('top');
          expect(buckets.some((bucket) => /^q\d+$/.test(bucket))).toBe(true);
          expect([...hidden.mix.activating_buckets].sort()).toEqual([...buckets].sort());
        }
        // Mark every hidden value and condition so a leak is visible whatever its key.
        project.db
          .prepare(
            "UPDATE items SET hidden_json = json_set(hidden_json, '$.secret', 'SENTINEL-HIDDEN'), condition = 'SENTINEL-CONDITION' WHERE campaign_id = ?",
          )
          .run(campaignId);
        const rater = makeRater(project, campaignId, 'blind');
        const context = contextFor(project, asRater(rater));
        const responses: unknown[] = [];
        const exercised = new Set<string>();
        const call = async (name: (typeof methodNames)[number], input: unknown) => {
          exercised.add(name);
          const result = await dispatch(name, input, context);
          expect(result, `${templateId} ${name}`).toMatchObject({ ok: true });
          responses.push(result);
          return (result as { value: any }).value;
        };
        await call('rater.session', {});
        let next = await call('rater.next', { count: 2 });
        const [item] = next.items;
        const answer = Object.fromEntries(
          item.questions.map((question: any) => [
            question.id,
            question.type === 'text'
              ? 'a label'
              : question.type === 'scale'
                ? question.min
                : question.type === 'multi'
                  ? [question.options[0].value]
                  : question.options[0].value,
          ]),
        );
        if (templateId === 'feature-detection' || templateId === 'intruder') {
          // Activations would give the answer away: examples arrive without them.
          const values = item.payload.examples.flatMap((example: any) => [
            ...(example.tokens ?? []).map((token: any) => token.value),
            ...(example.image?.patches ?? []),
            example.maxActivation,
          ]);
          expect(values.length).toBeGreaterThan(0);
          expect(values.every((value: number) => value === 0)).toBe(true);
          // Nor database ids: a feature's examples have close ids, so an intruder's would stand out.
          // Option values and example ids carry no example or document id; hidden maps them back.
          const hidden = JSON.parse(
            project.db
              .prepare('SELECT i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
              .pluck()
              .get(item.assignmentId) as string,
          );
          const examples = project.db.prepare('SELECT id, document_id FROM examples').all() as {
            id: number;
            document_id: number;
          }[];
          const databaseIds = new Set(examples.flatMap((row) => [String(row.id), String(row.document_id)]));
          const options = item.questions[0].options.map((option: any) => option.value) as string[];
          expect(
            options.filter((value) => databaseIds.has(value) || /\d{2,}/.test(value)),
            `${templateId} option values`,
          ).toEqual([]);
          expect(item.payload.examples.map((example: any) => [example.id, example.documentId])).toEqual(
            item.payload.examples.map(() => [0, 0]),
          );
          expect(Object.keys(hidden.option_examples).sort()).toEqual([...options].sort());
          const byId = new Map(examples.map((row) => [row.id, row.document_id]));
          for (const { example_id, document_id } of Object.values(hidden.option_examples) as {
            example_id: number;
            document_id: number;
          }[])
            expect(byId.get(example_id)).toBe(document_id);
          if (templateId === 'intruder')
            expect(String(hidden.option_examples[hidden.intruder_option].example_id)).toBe(hidden.intruder_example_id);
          else
            expect(
              hidden.activating_options.map((value: string) => String(hidden.option_examples[value].example_id)),
            ).toEqual(hidden.activating_example_ids);
        }
        if (templateId === 'feature-label') {
          // Only what the template displays: the examples' tokens and images with their highlights.
          // No feature index, no database ids, ranks or buckets, and no raw activations: each
          // example's values come scaled to its own maximum, which is all the highlight shows.
          expect(Object.keys(item.payload)).toEqual(['feature']);
          expect(Object.keys(item.payload.feature)).toEqual(['examples']);
          const examples = item.payload.feature.examples as any[];
          expect(examples.length).toBeGreaterThan(0);
          for (const example of examples) {
            expect([example.id, example.documentId, example.rank, example.bucket, example.maxActivation]).toEqual([
              0,
              0,
              0,
              '',
              1,
            ]);
            const values = [
              ...(example.tokens ?? []).map((token: any) => token.value),
              ...(example.image?.patches ?? []),
            ];
            expect(Math.max(...values)).toBeCloseTo(1, 4); // float32 activations against a stored maximum
            expect(values.every((value: number) => value >= 0 && value <= 1)).toBe(true);
          }
          // The researcher can still tell which examples were shown, in order.
          const hidden = JSON.parse(
            project.db
              .prepare('SELECT i.hidden_json FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?')
              .pluck()
              .get(item.assignmentId) as string,
          );
          const shownTexts = examples.map(
            (example: any) =>
              (example.tokens ?? []).map((token: any) => token.token).join('') + (example.image?.sha256 ?? ''),
          );
          const storedTexts = (hidden.example_ids as number[]).map((id) => {
            const detail = project.db.prepare('SELECT feature_id FROM examples WHERE id = ?').pluck().get(id) as number;
            const stored = getFeature(project.db, detail).examples.find((example) => example.id === id)!;
            return (stored.tokens ?? []).map((token) => token.token).join('') + (stored.image?.sha256 ?? '');
          });
          expect(storedTexts).toEqual(shownTexts);
        }
        await call('rater.flag', { assignmentId: item.assignmentId, comment: '' });
        await call('rater.submit', { assignmentId: item.assignmentId, answer, activeMs: 10 });
        await call('rater.undo', {});
        next = await call('rater.next', { count: 2 });
        await call('rater.skip', { assignmentId: next.items[0].assignmentId });
        expect([...exercised].sort()).toEqual([...raterMethods].sort());
        const text = JSON.stringify(responses);
        expect(text, templateId).not.toMatch(/SENTINEL/);
        for (const key of [
          'featureIndex',
          'target_class',
          'source_class',
          '"correct"',
          '"k"',
          '"layer"',
          'feature_id',
          'generation_id',
          'steering_spec',
          'intruder_example_id',
          'intruder_option',
          'activating_example_ids',
          'activating_options',
          'option_examples',
          '"mix"',
          'hidden',
        ]) {
          expect(text, `${templateId} leaks ${key}`).not.toContain(key);
        }
      }
    } finally {
      project.close();
    }
  });

  it('a feature block is blinded when served, so items stored before issue 11 (index, ids, raw activations) do not leak', async () => {
    const project = makeProject();
    const example = {
      id: 9191,
      documentId: 8181,
      bucket: 'top',
      rank: 1,
      maxActivation: 12.5,
      tokens: [
        { token: 'red', value: 12.5 },
        { token: ' car', value: 2.5 },
      ],
      image: null,
      extra: 'SENTINEL',
    };
    const campaignId = insertCampaign(
      project.db,
      {
        name: 'old labels',
        template: BUILTIN_TEMPLATES['feature-label'],
        instructions: '',
        overlap: 1,
        leaseSeconds: 600,
        seed: 1,
      },
      [{ payload: { feature: { featureIndex: 4242, examples: [example] } } }],
    );
    const rater = makeRater(project, campaignId, 'ana');
    const result = (await dispatch('rater.next', { count: 1 }, contextFor(project, asRater(rater)))) as {
      ok: true;
      value: any;
    };
    expect(result.value.items[0].payload).toEqual({
      feature: {
        examples: [
          {
            id: 0,
            documentId: 0,
            bucket: '',
            rank: 0,
            maxActivation: 1,
            tokens: [
              { token: 'red', value: 1 },
              { token: ' car', value: 0.2 },
            ],
            image: null,
          },
        ],
      },
    });
    expect(JSON.stringify(result)).not.toMatch(/4242|9191|8181|12\.5|SENTINEL/);
  });

  it("an item file's columns the template does not show stay on the server (a plain k or model column)", async () => {
    const dir = path.join(tempDir(), 'file.sightline');
    const project = openProject(dir, { create: true });
    try {
      const text =
        'question,answer,options,k,model,hidden.target_class\nWhat is shown?,A red fish.,"[""goldfish"",""volcano""]",15,llava-next-7b,goldfish\n';
      const { campaignId } = createCampaign(project.db, {
        name: 'csv',
        template: 'concept-choice',
        instructions: '',
        settings: campaignSettingsSchema.parse({ overlap: 1 }),
        source: { kind: 'file', fileName: 'batch.csv', text },
      });
      const rater = makeRater(project, campaignId, 'ana');
      const result = (await dispatch('rater.next', { count: 1 }, contextFor(project, asRater(rater)))) as {
        ok: true;
        value: any;
      };
      const [item] = result.value.items;
      // The template shows the question and the answer; the options went into the shown question.
      expect(Object.keys(item.payload).sort()).toEqual(['answer', 'question']);
      expect(item.questions[0].options.map((option: any) => option.value)).toContain('goldfish');
      expect(JSON.stringify(result)).not.toMatch(/llava|"k"|"model"/);
    } finally {
      project.close();
    }
  });
});
