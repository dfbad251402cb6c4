// The Hugging Face dataset card (README.md) for the hf export: YAML front matter that the Hub
// reads (configs, dataset_info features and split sizes, license), then what the data is, how it
// was collected, its fields and counts, and the agreement summary.
import fs from 'node:fs';
import type { CampaignResults } from '../contract/results';
import { campaignResults } from '../results/report';
import { parquetColumns } from './parquet';
import type { ExportSource } from './source';

// The Parquet file stores timestamps as INT64 TIMESTAMP(MICROS, isAdjustedToUTC) (the columnar
// engine writes zoned timestamps in microseconds), so Arrow (and the Hub's datasets) read them as
// timestamp[us, tz=UTC]; the card declares the same.
const HF_DTYPES: Record<string, string> = { STRING: 'string', INT32: 'int32', TIMESTAMP: 'timestamp[us, tz=UTC]' };

function sizeCategory(rows: number): string {
  if (rows < 1_000) return 'n<1K';
  if (rows < 10_000) return '1K<n<10K';
  if (rows < 100_000) return '10K<n<100K';
  if (rows < 1_000_000) return '100K<n<1M';
  return '1M<n<10M';
}

/** YAML scalars: quoted JSON strings are valid YAML and need no escaping rules of our own. */
const yamlString = (text: string): string => JSON.stringify(text);
const fixed = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? 'n/a' : value.toFixed(digits);
const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function agreementTable(results: CampaignResults): string {
  const lines = [
    '| question | type | ratings | items | alpha (95% CI) | Fleiss kappa | mean Cohen kappa | % agreement |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const question of results.questions) {
    const alpha = question.alpha
      .map((a) =>
        a.alpha === null ? `${a.metric}: n/a` : `${a.metric}: ${fixed(a.alpha)} [${fixed(a.lower)}, ${fixed(a.upper)}]`,
      )
      .join('; ');
    lines.push(
      `| ${escapeCell(question.questionId)} | ${question.type} | ${question.ratings} | ${question.units} | ${alpha} | ${fixed(question.fleissKappa)} | ${fixed(question.meanCohenKappa)} | ${fixed(question.percentAgreement)} |`,
    );
  }
  return lines.join('\n');
}

export function writeHfCard(
  source: ExportSource,
  file: string,
  context: { rows: number; provenance: Record<string, unknown>; bootstrap?: { seed?: number; replicates?: number } },
): void {
  const { campaign } = source;
  const columns = parquetColumns(source);
  const results = campaignResults(source.db, campaign.id, { bootstrap: context.bootstrap });
  const counts = context.provenance.counts as {
    items: number;
    raters: number;
    raters_with_judgements: number;
    items_by_kind: Record<string, number>;
  };
  const sampling = context.provenance.sampling;
  const front = [
    '---',
    'license: other # placeholder: choose a license before publishing (e.g. cc-by-4.0)',
    `pretty_name: ${yamlString(`${campaign.name} (Sightline human evaluation)`)}`,
    'language:',
    '- en',
    'tags:',
    '- human-evaluation',
    '- interpretability',
    '- sightline',
    'size_categories:',
    `- ${sizeCategory(context.rows)}`,
    'configs:',
    '- config_name: default',
    '  data_files:',
    '  - split: train',
    '    path: data/train-*.parquet',
    'dataset_info:',
    '  features:',
    ...columns.flatMap((column) => [`  - name: ${yamlString(column.name)}`, `    dtype: ${HF_DTYPES[column.type]}`]),
    '  splits:',
    '  - name: train',
    `    num_examples: ${context.rows}`,
    '---',
  ];
  const body = [
    `# ${campaign.name}`,
    '',
    `Human judgements collected with Sightline ${(context.provenance.generator as { version: string }).version} using the template **${campaign.template.title}** (\`${campaign.template.id}\` v${campaign.template.version}). One row per judgement.`,
    '',
    '## How the data was collected',
    '',
    `- Raters saw each item in a blind, randomised campaign: ${campaign.overlap} rater(s) per item, option order counterbalanced per rater (campaign seed ${campaign.seed}, order mode \`${campaign.orderMode}\`); the exact order each rater saw is in \`shown_order\` (the full questions as shown, \`shown\`, with \`sightline export --full-shown\`).`,
    `- Hidden conditions (in \`hidden\`) never reached the raters.`,
    `- Instructions version ${campaign.instructionsVersion} (sha256 in provenance.json).`,
    `- Active time (\`active_ms\`) is measured on the rater's screen, not wall time.`,
    `- Rater identities: ${source.revealRaters ? 'names (revealed at export)' : 'pseudonyms (R001, ...)'}.`,
    `- Sampling scheme: ${sampling === null || sampling === undefined ? 'not recorded in the campaign settings' : `\`${JSON.stringify(sampling)}\``}.`,
    '',
    '## Counts',
    '',
    `- judgements (rows): ${context.rows}`,
    `- items: ${counts.items} (${
      Object.entries(counts.items_by_kind)
        .map(([kind, n]) => `${kind}: ${n}`)
        .join(', ') || 'none'
    })`,
    `- raters: ${counts.raters} registered, ${counts.raters_with_judgements} with judgements`,
    '',
    '## Agreement',
    '',
    `Krippendorff's alpha with a ${results.bootstrap.replicates}-replicate percentile bootstrap over items (seed ${results.bootstrap.seed}); attention-check and qualification items excluded.`,
    '',
    agreementTable(results),
    '',
    ...(results.notes.length ? ['Notes:', '', ...results.notes.map((note) => `- ${note}`), ''] : []),
    '## Fields',
    '',
    '| field | type | description |',
    '|---|---|---|',
    ...columns.map(
      (column) => `| \`${column.name}\` | ${HF_DTYPES[column.type]} | ${escapeCell(column.description)} |`,
    ),
    '',
    '## Provenance',
    '',
    '`provenance.json` records the app and schema version, the template and instructions (with hashes), overlap and seeds, counts, and the sha256 of every model, SAE and corpus the campaign refers to.',
    '',
    '## License',
    '',
    'License: TODO (placeholder). Choose one before publishing, and check the licenses of the images and model outputs in `payload`.',
    '',
    '## Citation',
    '',
    'TODO: add the citation of the study these judgements belong to.',
    '',
  ];
  fs.writeFileSync(file, `${front.join('\n')}\n\n${body.join('\n')}`);
}
