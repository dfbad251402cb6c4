// The Probes page's data, shaped from a stored probe run (probes.get) with no DOM: the decodability
// curve's points, the run's vectors as the table lists them, and the CLI lines that export them.
import type {
  MethodInput,
  ProbeRunListing,
  ProbeSummary,
  ProbeVector,
  SaeSummary,
} from '../../../../src-main/contract';

/** One point of the curve: a layer's accuracy on one split, or its chance level. */
export type AccuracyPoint = {
  /** the corpus's layer; its position in the run when the corpus recorded none */
  layer: number;
  series: 'validation' | 'train' | 'chance';
  accuracy: number;
  corpus: string;
};

/** Validation and train accuracy and the chance level by layer, in layer order (validation only when held out). */
export function accuracyPoints(run: ProbeSummary): AccuracyPoint[] {
  const points: AccuracyPoint[] = [];
  run.layers.forEach((layer, position) => {
    const at = { layer: layer.layer ?? position, corpus: layer.corpus };
    if (layer.logistic.validationAccuracy !== null)
      points.push({ ...at, series: 'validation', accuracy: layer.logistic.validationAccuracy });
    points.push({ ...at, series: 'train', accuracy: layer.logistic.trainAccuracy });
    points.push({ ...at, series: 'chance', accuracy: layer.logistic.chance });
  });
  return points.sort((a, b) => a.layer - b.layer);
}

/** The layer whose validation accuracy is highest (the first such), or null when nothing was held out. */
export function bestLayer(run: ProbeSummary): ProbeSummary['layers'][number] | null {
  let best: ProbeSummary['layers'][number] | null = null;
  for (const layer of run.layers) {
    const accuracy = layer.logistic.validationAccuracy;
    if (accuracy !== null && (best === null || accuracy > (best.logistic.validationAccuracy ?? -1))) best = layer;
  }
  return best;
}

/** What a run is called in the picker: its id, when, its classes and how many layers. */
export function runLabel(run: ProbeRunListing): string {
  const when = new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ');
  const layers = run.layers.map((l) => l.layer ?? '?').join(', ');
  return `Run ${run.runId} · ${when} · ${run.classes.join(', ')} · layer${run.layers.length === 1 ? '' : 's'} ${layers}`;
}

/** A file name for a vector: its name with everything but letters, digits, dot, dash and underscore as "_". */
export function vectorFileName(name: string, extension: 'safetensors' | 'npy'): string {
  return `${name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'vector'}.${extension}`;
}

/** Quotes a shell word when it needs it (single quotes, any ' closed and escaped). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._/:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The CLI line that writes the vector where the page's export button does. */
export function exportCommand(projectDir: string, vector: string, out: string): string {
  return ['sightline', 'vector', 'export', '--project', projectDir, '--name', vector, '--out', out]
    .map(shellWord)
    .join(' ');
}

/** The exports folder of a project folder, with the separator the folder's path uses. */
export function exportPath(projectDir: string, file: string): string {
  const separator = projectDir.includes('\\') && !projectDir.includes('/') ? '\\' : '/';
  return `${projectDir.replace(/[\\/]+$/, '')}${separator}exports${separator}${file}`;
}

/** SAEs whose decoder rows have the vector's length: the only ones a cosine can be taken with. */
export const saesForVector = (saes: readonly SaeSummary[], vector: ProbeVector | undefined): SaeSummary[] =>
  vector ? saes.filter((sae) => sae.dIn === vector.dModel) : [];

/** The SAE to offer first: one of the vector's own layer, else the first that fits. */
export function defaultSae(saes: readonly SaeSummary[], vector: ProbeVector | undefined): string {
  const fitting = saesForVector(saes, vector);
  return (fitting.find((sae) => sae.layer !== null && sae.layer === vector?.layer) ?? fitting[0])?.name ?? '';
}

export type LabelsFrom = 'documents' | 'folders' | 'csv';

export interface ProbeFormValues {
  corpora: string[];
  labelsFrom: LabelsFrom;
  labelsFile: string;
  /** comma-separated, in the order vectors go (each to every later one); empty: every label */
  classes: string;
  validation: number;
  seed: number;
  name: string;
}

/** The probes.start request for the form, or what is wrong with it (in the words of the form). */
export function probeRequest(form: ProbeFormValues): MethodInput<'probes.start'> | string {
  if (form.corpora.length === 0) return 'Tick at least one corpus.';
  if (form.labelsFrom === 'csv' && !form.labelsFile.trim()) return 'Give the path of the labels CSV.';
  const classes = form.classes
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (classes.length === 1) return 'Give two classes or more (or none for every label).';
  if (!(form.validation >= 0 && form.validation < 1)) return 'Held out: a share from 0 up to (not including) 1.';
  if (!Number.isInteger(form.seed) || form.seed < 0) return 'Seed: a whole number, 0 or more.';
  return {
    corpora: form.corpora,
    ...(form.labelsFrom === 'csv' ? { labels: form.labelsFile.trim() } : {}),
    labelsFromFolders: form.labelsFrom === 'folders',
    ...(classes.length ? { classes } : {}),
    validation: form.validation,
    seed: form.seed,
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
  };
}

/** The layer the vectors list opens on: the curve's best layer, else the run's first. */
export function defaultVectorLayer(run: ProbeSummary): number | 'all' {
  return bestLayer(run)?.layer ?? run.layers[0]?.layer ?? 'all';
}

/**
 * The run's vectors at one layer (or all) whose classes contain `search` (case-insensitive): a run over
 * six layers and ten classes makes 540 vectors, too many to scroll.
 */
export function vectorsShown(run: ProbeSummary, layer: number | 'all', search: string): ProbeVector[] {
  const needle = search.trim().toLowerCase();
  return run.vectors.filter(
    (v) =>
      (layer === 'all' || v.layer === layer) &&
      (!needle || v.from.toLowerCase().includes(needle) || v.to.toLowerCase().includes(needle)),
  );
}
