// Pure shaping for the results page: the rows behind each plot (also what "Download CSV" writes),
// CSV text, and number / progress formatting. No DOM here, so it is unit-tested in Node.
import type {
  CampaignResults,
  FeatureResults,
  JobProgressEvent,
  Proportion,
  SteeringCurve,
  SteeringResults,
} from '../../../../src-main/contract';

export const fixed = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
export const percent = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '–' : `${(value * 100).toFixed(digits)}%`;
export const seconds = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`;

// ---- CSV of plot data ----------------------------------------------------------------------

export type CsvValue = string | number | boolean | null | undefined;

/** Same rule as the exports: spreadsheet apps run cells starting with = + - @ (or tab / CR); a quote shows them as text. */
function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV (CRLF) with a header row; columns in the order given. */
export function toCsv<T extends Record<string, CsvValue>>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
): string {
  const lines = [
    columns.map(csvCell).join(','),
    ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name from a campaign name and a suffix: letters, digits, - and _ only. */
export const fileStem = (campaignName: string, what: string): string =>
  `${campaignName.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'campaign'}-${what}`;

// ---- Steering dose-response ---------------------------------------------------------------

export interface DosePoint extends Record<string, CsvValue> {
  series: string;
  layer: string;
  source: string;
  target: string;
  k: number;
  n: number;
  successes: number;
  rate: number;
  lower: number;
  upper: number;
}

export interface CoherencePoint extends Record<string, CsvValue> {
  series: string;
  question: string;
  k: number;
  n: number;
  mean: number;
  /** Student-t 95% bounds; null for a single answer. */
  lower: number | null;
  upper: number | null;
}

export const ALL_PAIRS = 'all';

/** Class pairs to choose from ("source → target"), each once, in the results' order. */
export function classPairOptions(steering: SteeringResults | null): { key: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const curve of steering?.byClassPair ?? []) {
    const key = pairKey(curve);
    if (!seen.has(key)) seen.set(key, `${curve.sourceClass || '?'} → ${curve.targetClass || '?'}`);
  }
  return [{ key: ALL_PAIRS, label: 'All class pairs' }, ...[...seen].map(([key, label]) => ({ key, label }))];
}

const pairKey = (curve: SteeringCurve): string => `${curve.sourceClass ?? ''}\u2192${curve.targetClass ?? ''}`;
const layerLabel = (layer: SteeringCurve['layer']): string => (layer === null ? 'layer ?' : `layer ${layer}`);

/** The curves to draw: one per layer, over all class pairs or over one pair. */
export function selectedCurves(steering: SteeringResults | null, pair: string): SteeringCurve[] {
  if (!steering) return [];
  return pair === ALL_PAIRS ? steering.byLayer : steering.byClassPair.filter((curve) => pairKey(curve) === pair);
}

/** Success rate against k with Wilson 95% bounds, one series per layer. */
export function dosePoints(curves: readonly SteeringCurve[]): DosePoint[] {
  return curves.flatMap((curve) =>
    curve.points.map((point) => ({
      series: layerLabel(curve.layer),
      layer: curve.layer === null ? '' : String(curve.layer),
      source: curve.sourceClass ?? '',
      target: curve.targetClass ?? '',
      k: point.k,
      n: point.n,
      successes: point.successes,
      rate: point.rate,
      lower: point.lower,
      upper: point.upper,
    })),
  );
}

/** Mean of each numeric question (coherence, relatedness) against k with its interval, one series per layer; empty when none was asked. */
export function coherencePoints(curves: readonly SteeringCurve[]): CoherencePoint[] {
  return curves.flatMap((curve) =>
    curve.points.flatMap((point) =>
      Object.entries(point.scales)
        .filter((entry): entry is [string, NonNullable<(typeof entry)[1]>] => entry[1] !== null)
        .map(([question, scale]) => ({
          series: layerLabel(curve.layer),
          question,
          k: point.k,
          n: scale.n,
          mean: scale.mean,
          lower: scale.lower,
          upper: scale.upper,
        })),
    ),
  );
}

/** The mean points split per question, in first-seen order: each gets its own plot and axis. */
export function meanPlots(points: readonly CoherencePoint[]): [string, CoherencePoint[]][] {
  const byQuestion = new Map<string, CoherencePoint[]>();
  for (const point of points) {
    const list = byQuestion.get(point.question);
    if (list) list.push(point);
    else byQuestion.set(point.question, [point]);
  }
  return [...byQuestion];
}

// ---- Feature results -----------------------------------------------------------------------

export interface ScoreBin extends Record<string, CsvValue> {
  score: number;
  count: number;
}

export function scoreBins(features: FeatureResults | null): ScoreBin[] {
  return features?.scoreDistribution?.counts.map((bin) => ({ score: bin.score, count: bin.count })) ?? [];
}

export interface ModalityCell extends Record<string, CsvValue> {
  mined: string;
  vote: string;
  count: number;
  /** Share of the votes on features of this mined modality. */
  share: number;
}

/** The mined × voted table in long form (one row per cell), with each row's share. */
export function modalityCells(features: FeatureResults | null): ModalityCell[] {
  const modality = features?.modality;
  if (!modality) return [];
  return modality.mined.flatMap((mined, row) => {
    const total = modality.counts[row].reduce((a, b) => a + b, 0);
    return modality.votes.map((vote, column) => ({
      mined,
      vote,
      count: modality.counts[row][column],
      share: total ? modality.counts[row][column] / total : 0,
    }));
  });
}

// ---- Task scores (intruder, detection, pairwise) -----------------------------------------

/** Numbers inside names compare as numbers: "k=5" before "k=10", "layer 5" before "layer 10". */
export const numericOrder = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

export interface RatePoint extends Record<string, CsvValue> {
  name: string;
  successes: number;
  n: number;
  rate: number;
  lower: number;
  upper: number;
}

/** One plotted row from a share with its Wilson interval; rows with nothing counted are left out. */
export function ratePoints(rows: readonly (Proportion & { name: string })[]): RatePoint[] {
  return rows.flatMap((row) =>
    row.rate === null
      ? []
      : [{ name: row.name, successes: row.successes, n: row.n, rate: row.rate, lower: row.lower, upper: row.upper }],
  );
}

/** "5 / 6 = 83.3% [43.6%, 97.0%]" */
export const shareText = (p: Proportion): string =>
  `${p.successes} / ${p.n} = ${percent(p.rate)} [${percent(p.lower)}, ${percent(p.upper)}]`;

// ---- Tables --------------------------------------------------------------------------------

/** "0.612 [0.401, 0.790]" per alpha metric, with the metric named when there are several. */
export function alphaText(question: CampaignResults['questions'][number]): string {
  return question.alpha
    .map((alpha) => {
      const value = alpha.alpha === null ? '–' : `${fixed(alpha.alpha)} [${fixed(alpha.lower)}, ${fixed(alpha.upper)}]`;
      return question.alpha.length > 1 ? `${alpha.metric} ${value}` : value;
    })
    .join('; ');
}

// ---- Export progress -----------------------------------------------------------------------

/** "2m 05s", "42s", "–". */
export function etaText(secondsLeft: number | null | undefined): string {
  if (secondsLeft === null || secondsLeft === undefined || !Number.isFinite(secondsLeft)) return '–';
  const whole = Math.ceil(secondsLeft);
  return whole >= 60 ? `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/** "12,000 / 50,000 rows · 230,000 rows/s · ETA 1s" */
export function exportProgressText(
  event: Pick<JobProgressEvent, 'done' | 'total' | 'ratePerSecond' | 'etaSeconds'>,
): string {
  const total = event.total === null ? '?' : event.total.toLocaleString('en-US');
  const rate = event.ratePerSecond ? ` · ${Math.round(event.ratePerSecond).toLocaleString('en-US')} rows/s` : '';
  return `${event.done.toLocaleString('en-US')} / ${total} rows${rate} · ETA ${etaText(event.etaSeconds)}`;
}

export const EXPORT_CHOICES = [
  { format: 'jsonl', label: 'JSONL' },
  { format: 'csv', label: 'CSV' },
  { format: 'parquet', label: 'Parquet' },
  { format: 'hf', label: 'Hugging Face folder' },
  { format: 'mturk', label: 'MTurk results CSV' },
  { format: 'labelstudio', label: 'Label Studio JSON' },
  { format: 'neuronpedia', label: 'Neuronpedia rows' },
] as const;
