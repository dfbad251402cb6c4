import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { exportCampaign, type ExportFormat } from '../../src-main/export';
import { sha256Text } from '../../src-main/export/provenance';
import { insertCampaign } from '../../src-main/store/campaigns';
import { conceptItems, makeProject, makeRater, tempDir } from '../helpers/factories';
import { conceptTemplate, rateAll, ratedConceptCampaign, ratedFeatureLabelCampaign } from './fixtures';

interface LiveRow {
  judgement_id: number;
  item_id: number;
  item_position: number;
  pseudonym: string;
  name: string;
  answer_json: string;
  shown_json: string;
  payload_json: string;
  hidden_json: string;
}

function liveRows(project: ReturnType<typeof makeProject>, campaignId: number): LiveRow[] {
  return project.db
    .prepare(
      `SELECT j.id AS judgement_id, i.id AS item_id, i.position AS item_position, r.pseudonym, r.name, j.answer_json, j.shown_json, i.payload_json, i.hidden_json
       FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = a.item_id JOIN raters r ON r.id = a.rater_id
       WHERE i.campaign_id = ? AND j.action = 'submit' ORDER BY j.id`,
    )
    .all(campaignId) as LiveRow[];
}

const shownOrderOf = (shownJson: string) => {
  const shown = JSON.parse(shownJson) as { questions: { id: string; type: string; options?: { value: string }[] }[] };
  return Object.fromEntries(
    shown.questions.filter((q) => q.options).map((q) => [q.id, q.options!.map((o) => o.value)]),
  );
};

function exportTo(
  project: ReturnType<typeof makeProject>,
  campaignId: number,
  format: ExportFormat,
  name: string,
  extra: { revealRaters?: boolean; fullShown?: boolean } = {},
) {
  const out = path.join(tempDir(), name);
  return exportCampaign(project.db, campaignId, { format, out, ...extra });
}

describe('JSONL export', () => {
  it('writes one line per live judgement with what the rater saw, pseudonymous unless revealed', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project);
    const expected = liveRows(project, campaignId);
    const result = await exportTo(project, campaignId, 'jsonl', 'out.jsonl');
    const lines = fs
      .readFileSync(result.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(result.rows).toBe(12);
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, index) => {
      const row = expected[index];
      expect(line).toMatchObject({
        campaign: 'Which concept?',
        judgement_id: row.judgement_id,
        item_id: row.item_id,
        rater: row.pseudonym,
      });
      expect(line.answer).toEqual(JSON.parse(row.answer_json));
      expect(line.shown_order).toEqual(shownOrderOf(row.shown_json));
      expect(line.shown).toBeUndefined(); // the full questions only with fullShown
      expect(line.hidden).toEqual(JSON.parse(row.hidden_json));
      expect(new Date(line.submitted_at).toISOString()).toBe(line.submitted_at);
    });
    const full = await exportTo(project, campaignId, 'jsonl', 'full.jsonl', { fullShown: true });
    const fullLines = fs
      .readFileSync(full.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    fullLines.forEach((line, index) => expect(line.shown).toEqual(JSON.parse(expected[index].shown_json)));
    const revealed = await exportTo(project, campaignId, 'jsonl', 'named.jsonl', { revealRaters: true });
    const names = new Set(
      fs
        .readFileSync(revealed.path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).rater),
    );
    expect(names).toEqual(new Set(['ana', 'ben', 'cai']));
  });
});

describe('CSV export', () => {
  it('flattens answers, payload and hidden fields and records the shown option order', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project);
    const expected = liveRows(project, campaignId);
    const result = await exportTo(project, campaignId, 'csv', 'out.csv');
    const rows = parse(fs.readFileSync(result.path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(expected.length);
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining([
        'answer.concept',
        'shown_order',
        'payload.options',
        'payload.answer',
        'hidden.target_class',
        'hidden.k',
        'rater',
        'active_ms',
      ]),
    );
    rows.forEach((row, index) => {
      expect(row['answer.concept']).toBe(JSON.parse(expected[index].answer_json).concept);
      expect(JSON.parse(row.shown_order)).toEqual(shownOrderOf(expected[index].shown_json));
      expect(JSON.parse(row['payload.options'])).toEqual(JSON.parse(expected[index].payload_json).options);
    });
    // Raters saw different orders: counterbalancing is visible in the export.
    expect(new Set(rows.map((row) => row.shown_order)).size).toBeGreaterThan(1);
  });

  it('neutralises formula cells (= + - @) and keeps quotes and newlines intact', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    const result = await exportTo(project, campaignId, 'csv', 'labels.csv');
    const rows = parse(fs.readFileSync(result.path, 'utf8'), { columns: true }) as Record<string, string>[];
    const labels = rows.map((row) => row['answer.label']);
    expect(labels).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(labels).toContain(`'@SUM(A1)`);
    expect(labels).toContain('dogs, "good" ones');
    expect(labels).toContain('cats\non two lines');
    expect(rows.map((row) => row['payload.note'])).toContain(`'-starts with a minus`);
    // Scale answers are numbers, not text, and are left alone.
    expect(rows.map((row) => row['answer.interpretability'])).toEqual(expect.arrayContaining(['3', '4']));
  });
});

describe('Parquet export', () => {
  it('reads back with an independent reader (hyparquet) to the same rows', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 5);
    const expected = liveRows(project, campaignId);
    const result = await exportTo(project, campaignId, 'parquet', 'out.parquet', { fullShown: true });
    const bytes = fs.readFileSync(result.path);
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    })) as Record<string, unknown>[];
    expect(rows).toHaveLength(expected.length);
    rows.forEach((row, index) => {
      const want = expected[index];
      expect(row.judgement_id).toBe(want.judgement_id);
      expect(row.item_id).toBe(want.item_id);
      expect(row.rater).toBe(want.pseudonym);
      expect(row.answer_concept).toBe(JSON.parse(want.answer_json).concept);
      expect(JSON.parse(row.shown as string)).toEqual(JSON.parse(want.shown_json));
      expect(JSON.parse(row.shown_order as string)).toEqual(shownOrderOf(want.shown_json));
      expect(JSON.parse(row.hidden as string)).toEqual(JSON.parse(want.hidden_json));
      expect(row.submitted_at).toBeInstanceOf(Date);
    });
  });

  it('types scale answers as integers', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    const result = await exportTo(project, campaignId, 'parquet', 'labels.parquet');
    const bytes = fs.readFileSync(result.path);
    const rows = (await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    })) as Record<string, unknown>[];
    expect(rows.map((row) => row.answer_interpretability).sort()).toEqual([3, 3, 4, 4]);
    expect(rows.map((row) => row.answer_label)).toContain('=HYPERLINK("http://evil.example","click")'); // Parquet is data, not a spreadsheet
  });
});

describe('Hugging Face dataset folder', () => {
  it('has data/train-00000-of-00001.parquet, a dataset card with front matter, and provenance.json', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project);
    const result = await exportTo(project, campaignId, 'hf', 'dataset');
    expect(fs.readdirSync(result.path).sort()).toEqual(['README.md', 'data', 'provenance.json']);
    const card = fs.readFileSync(path.join(result.path, 'README.md'), 'utf8');
    expect(card.startsWith('---\nlicense: other')).toBe(true);
    expect(card).toContain('num_examples: 12');
    expect(card).toContain('path: data/train-*.parquet');
    expect(card).toContain('- name: "answer_concept"');
    expect(card).toMatch(/\| concept \| choice \| 12 \| 4 \| nominal: /);
    expect(card).toContain('License: TODO');
    // How it was collected, the counts and the fields, each a section of the card.
    expect(card).toContain('## How the data was collected');
    expect(card).toContain('- Raters saw each item in a blind, randomised campaign: 3 rater(s) per item');
    expect(card).toContain('- Rater identities: pseudonyms (R001, ...)');
    expect(card).toContain('- judgements (rows): 12');
    expect(card).toContain('- raters: 3 registered, 3 with judgements');
    expect(card).toMatch(/## Fields\n\n\| field \| type \| description \|[\s\S]*\| `answer_concept` \| string \|/);
    const bytes = fs.readFileSync(path.join(result.path, 'data', 'train-00000-of-00001.parquet'));
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    expect(rows).toHaveLength(12);
    // The card's dtypes match the file: timestamps are UTC-adjusted microseconds (Arrow: timestamp[us, tz=UTC]).
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    for (const name of ['leased_at', 'submitted_at']) {
      const element = metadata.schema.find((entry) => entry.name === name)!;
      expect(element).toMatchObject({
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      });
      expect(card).toContain(`  - name: "${name}"\n    dtype: timestamp[us, tz=UTC]\n`);
      expect(card).toContain(`| \`${name}\` | timestamp[us, tz=UTC] |`);
    }
    const provenance = JSON.parse(fs.readFileSync(path.join(result.path, 'provenance.json'), 'utf8'));
    expect(provenance.files[0]).toMatchObject({
      path: 'data/train-00000-of-00001.parquet',
      rows: 12,
      bytes: bytes.length,
    });
    expect(fs.readdirSync(path.dirname(result.path)).filter((name) => name.includes('partial'))).toEqual([]);
  });
});

describe('Label Studio export', () => {
  it('writes tasks with data, hidden meta and annotations in Label Studio result shape', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    const result = await exportTo(project, campaignId, 'labelstudio', 'ls.json');
    const tasks = JSON.parse(fs.readFileSync(result.path, 'utf8'));
    expect(result.rows).toBe(2);
    expect(tasks).toHaveLength(2);
    expect(tasks[0].data).toEqual({ feature: { examples: [] }, note: '-starts with a minus' });
    expect(tasks[0].meta.hidden.feature_id).toEqual(expect.any(Number));
    expect(tasks[0].annotations).toHaveLength(2);
    const annotations = tasks.flatMap((task: { annotations: unknown[] }) => task.annotations);
    const annotation = annotations.find((a: { result: { value: { text?: string[] } }[] }) =>
      a.result.some((r) => r.value.text?.[0]?.startsWith('=HYPERLINK')),
    );
    expect(annotation.result).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          from_name: 'label',
          to_name: 'feature',
          type: 'textarea',
          value: { text: ['=HYPERLINK("http://evil.example","click")'] },
        }),
        expect.objectContaining({ from_name: 'interpretability', type: 'rating', value: { rating: 3 } }),
        expect.objectContaining({ from_name: 'modality', type: 'choices', value: { choices: ['image'] } }),
      ]),
    );
    expect(annotation.sightline.shown_order.modality).toEqual(['image', 'text', 'both', 'neither']);
    expect(annotation.sightline.rater).toBe('R001');
  });
});

describe('Neuronpedia export', () => {
  it('turns each human label into an explanation row for its feature', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    const result = await exportTo(project, campaignId, 'neuronpedia', 'np.jsonl');
    const rows = fs
      .readFileSync(result.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows).toHaveLength(4);
    const hyperlink = rows.find((row) => row.description.startsWith('=HYPERLINK'));
    expect(hyperlink).toMatchObject({
      modelId: 'llava-next-7b',
      layer: '20-mm-res',
      description: '=HYPERLINK("http://evil.example","click")',
      typeName: 'human',
      authorId: 'R001',
      score: 3,
      modality: 'image',
    });
    expect(['11', '42']).toContain(hyperlink.index);
    expect(rows.map((row) => row.index).sort()).toEqual(['11', '11', '42', '42']);
    // What each rater saw: the modality options in that rater's order.
    for (const row of rows)
      expect([...row.sightline.shown_order.modality].sort()).toEqual(['both', 'image', 'neither', 'text']);
  });

  it('refuses campaigns without a text question', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 2);
    await expect(exportTo(project, campaignId, 'neuronpedia', 'np.jsonl')).rejects.toThrow(/no text question/);
  });
});

describe('provenance', () => {
  it('records versions, template and instructions hashes, seeds, counts, sampling and referenced SAE, model and corpus hashes', async () => {
    const project = makeProject();
    const { campaignId } = ratedFeatureLabelCampaign(project);
    const result = await exportTo(project, campaignId, 'csv', 'labels.csv');
    expect(result.provenancePath).toBe(`${result.path}.provenance.json`);
    const provenance = JSON.parse(fs.readFileSync(result.provenancePath, 'utf8'));
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    expect(provenance.generator).toEqual({
      app: 'Sightline',
      version: pkg.version,
      schema_version: project.db.pragma('user_version', { simple: true }),
    });
    expect(provenance.campaign).toMatchObject({
      name: 'Label features',
      seed: 11,
      overlap: 2,
      order_mode: 'random',
      template: { id: 'feature-label' },
    });
    expect(provenance.campaign.instructions.sha256).toBe(sha256Text('Describe what the feature responds to.'));
    expect(provenance.sampling).toEqual({ scheme: 'quantile buckets', buckets: 10 });
    expect(provenance.counts).toMatchObject({ items: 2, raters: 2, judgements: 4, items_by_kind: { normal: 2 } });
    expect(provenance.raters.identities).toBe('pseudonymous');
    expect(provenance.raters.list.map((r: { rater: string }) => r.rater)).toEqual(['R001', 'R002']);
    expect(provenance.raters.list.every((r: { seed: unknown }) => typeof r.seed === 'number')).toBe(true);
    expect(JSON.stringify(provenance.raters)).not.toContain('ana');
    expect(provenance.references.saes).toEqual([
      expect.objectContaining({ name: 'mm-sae-l20', sha256: 'b'.repeat(64), layer: 20 }),
    ]);
    expect(provenance.references.models).toEqual([
      expect.objectContaining({ name: 'llava-next-7b', sha256: 'a'.repeat(64) }),
    ]);
    // How the examples the raters saw were sampled when the features were mined.
    expect(provenance.references.feature_sampling).toEqual([
      expect.objectContaining({
        sae_id: expect.any(Number),
        scheme: 'equal-count',
        quantiles: 10,
        perQuantile: 4,
        sampling: 'bottom-64 hash sample per histogram bin',
        corpus: 'imagenet-val',
      }),
    ]);
    // The corpus the features were mined from: its shards' hashes and one hash over them, in order.
    expect(provenance.references.corpora).toEqual([
      expect.objectContaining({
        name: 'imagenet-val',
        source: { model: 'llava-next-7b' },
        sha256: sha256Text(`${'1'.repeat(64)}\n${'2'.repeat(64)}\n`),
        shards: [
          expect.objectContaining({ ordinal: 0, path: '/acts/shard-0.bin', size: 64, sha256: '1'.repeat(64) }),
          expect.objectContaining({ ordinal: 1, sha256: '2'.repeat(64) }),
        ],
      }),
    ]);
    const fileBytes = fs.readFileSync(result.path);
    expect(provenance.files[0]).toEqual({
      path: 'labels.csv',
      rows: 4,
      bytes: fileBytes.length,
      sha256: require('node:crypto').createHash('sha256').update(fileBytes).digest('hex'),
    });
  });
});

describe('provenance of a steering campaign', () => {
  it('records each steering spec its items refer to: layer, positions, vector sha256, coefficient, decoding, seed and the spec itself', async () => {
    const project = makeProject();
    const specId = Number(
      project.db
        .prepare(
          `INSERT INTO steering_specs (name, method, layer, hook_point, positions, vector_source, vector_sha256, coefficient, coefficient_units, decoding_json, seed, spec_json, created_at)
           VALUES ('goldfish -> volcano, k=10', 'add', 20, 'resid_post', 'prompt', 'probe', ?, 10, 'k·v', '{"strategy":"greedy","max_new_tokens":100}', 42, '{"formula":"h[:P] += k·v"}', 0)`,
        )
        .run('d'.repeat(64)).lastInsertRowid,
    );
    const items = conceptItems(2).map((item) => ({ ...item, hidden: { ...item.hidden, steering_spec_id: specId } }));
    const campaignId = insertCampaign(
      project.db,
      { name: 'steered', template: conceptTemplate, instructions: 'Pick one.', overlap: 1, leaseSeconds: 600, seed: 9 },
      items,
    );
    rateAll(project, makeRater(project, campaignId, 'ana'), (item) => ({
      concept: item.questions[0].type === 'choice' ? item.questions[0].options[0].value : '',
    }));
    const result = await exportTo(project, campaignId, 'jsonl', 'steered.jsonl');
    const provenance = JSON.parse(fs.readFileSync(result.provenancePath, 'utf8'));
    expect(provenance.references.steering_specs).toEqual([
      {
        id: specId,
        name: 'goldfish -> volcano, k=10',
        method: 'add',
        layer: 20,
        hook_point: 'resid_post',
        positions: 'prompt',
        vector_source: 'probe',
        vector_sha256: 'd'.repeat(64),
        coefficient: 10,
        coefficient_units: 'k·v',
        decoding: { strategy: 'greedy', max_new_tokens: 100 },
        seed: 42,
        spec: { formula: 'h[:P] += k·v' },
      },
    ]);
  });
});

describe('failed and cancelled exports', () => {
  it('leave no partial file and keep the previous export', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 3);
    const dir = tempDir();
    const out = path.join(dir, 'out.csv');
    fs.writeFileSync(out, 'previous export\n');
    // A hand-corrupted judgement (INSERT is allowed; the store never writes this).
    const assignmentId = project.db.prepare('SELECT MIN(a.id) FROM assignments a').pluck().get() as number;
    project.db
      .prepare(
        "INSERT INTO judgements (assignment_id, action, answer_json, shown_json, active_ms, submitted_at) VALUES (?, 'submit', '{broken', '{}', 0, 0)",
      )
      .run(assignmentId);
    await expect(exportCampaign(project.db, campaignId, { format: 'csv', out })).rejects.toThrow(/answer_json/);
    await expect(
      exportCampaign(project.db, campaignId, { format: 'parquet', out: path.join(dir, 'out.parquet') }),
    ).rejects.toThrow(/answer_json/);
    expect(fs.readdirSync(dir).sort()).toEqual(['out.csv']);
    expect(fs.readFileSync(out, 'utf8')).toBe('previous export\n');
  });

  it('cancel removes the temp output (files and folders)', async () => {
    const project = makeProject();
    const { campaignId } = ratedConceptCampaign(project, 3);
    const dir = tempDir();
    for (const format of ['jsonl', 'hf'] as const) {
      await expect(
        exportCampaign(project.db, campaignId, {
          format,
          out: path.join(dir, `out-${format}`),
          isCancelled: () => true,
        }),
      ).rejects.toThrow(/cancelled/);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
