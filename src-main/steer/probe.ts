// `sightline probe` (issue 14): per corpus (one layer each, as `capture` writes them) one pooled vector
// per labelled document (probe-pool.ts), the difference of every pair of class means stored as
// steering vectors (raw and unit length, with corpus, layer, classes and sha256), and a multiclass
// logistic probe's accuracy on a held-out split: the paper's decodability by layer.
import { l2Norm } from '../util/norm';
import path from 'node:path';
import { JobRunner, type ProgressListener } from '../jobs/runner';
import type { Project } from '../project/project';
import { readRowsFile } from '../domain/campaigns/read-rows';
import { getCorpus, listCorpusDocuments, type CorpusRecord } from '../store/corpora';
import { insertProbeRun } from '../store/probe-runs';
import type { ProbeVectorSource } from '../store/vectors';
import { AppError, badFile } from '../util/errors';
import { poolCorpus } from './probe-pool';
import { accuracy, classMean, diffOfMeans, fitLogistic, stratifiedSplit } from './probe-math';
import { storeVectors } from './vectors';
import type { ProbeSummary, ProbeLayer } from '../contract/probes';

export type { ProbeSummary, ProbeLayer } from '../contract/probes';

export interface ProbeOptions {
  corpora: string[];
  /** a CSV `document,label`; else --labels-from-folders; else each document's meta.label (capture's CSV) */
  labelsFile?: string;
  labelsFromFolders?: boolean;
  /** the classes to use, in this order (pairs go first → later); default every label, sorted */
  classes?: string[];
  /** share of each class held out for validation (default 0.2) */
  validation?: number;
  seed?: number;
  /** L2 penalty of the logistic probe on standardised features (default 1e-2) */
  l2?: number;
  /** vector names are <name>:<from>-><to>[:unit] (default: the corpus name) */
  name?: string;
  runner?: JobRunner;
  listener?: ProgressListener;
  progressIntervalMs?: number;
}

type ProbeVector = { name: string; values: Float32Array; source: ProbeVectorSource };
type LabelSource = ReturnType<typeof labelSource>;

/** Where each document's label comes from; a function of its external id and meta. */
function labelSource(options: ProbeOptions): {
  describe: string;
  of: (id: string, meta: Record<string, unknown>) => string | undefined;
} {
  if (options.labelsFile !== undefined && options.labelsFromFolders)
    throw new AppError('invalid_input', 'probe: give --labels CSV or --labels-from-folders, not both');
  if (options.labelsFile !== undefined) {
    const file = path.basename(options.labelsFile);
    const labels = new Map<string, string>();
    readRowsFile(options.labelsFile, 'csv').forEach((row, i) => {
      const { document, label } = row;
      if (typeof document !== 'string' || document === '')
        throw badFile(file, `row ${i + 1}: document`, 'a document id', JSON.stringify(document ?? null));
      if (typeof label !== 'string' || label === '')
        throw badFile(file, `row ${i + 1}: label`, 'a class name', JSON.stringify(label ?? null));
      labels.set(document, label);
    });
    return { describe: file, of: (id) => labels.get(id) };
  }
  if (options.labelsFromFolders) {
    // An image captured from DIR/<class>/<file> is the document "<class>/<file>".
    return { describe: 'folder names', of: (id) => (id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : undefined) };
  }
  return {
    describe: "the documents' label",
    of: (_id, meta) => (typeof meta.label === 'string' && meta.label !== '' ? meta.label : undefined),
  };
}

/** Features scaled to mean 0 and standard deviation 1 over the training rows (a constant column: 0). */
function standardise(x: Float32Array, d: number, rows: readonly number[]): Float32Array {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const i of rows) for (let k = 0; k < d; k++) mean[k] += x[i * d + k];
  for (let k = 0; k < d; k++) mean[k] /= rows.length;
  for (const i of rows) for (let k = 0; k < d; k++) sq[k] += (x[i * d + k] - mean[k]) ** 2;
  const scale = Float64Array.from(sq, (s) => {
    const sd = Math.sqrt(s / rows.length);
    return sd > 1e-12 ? 1 / sd : 0;
  });
  return Float32Array.from(x, (v, j) => (v - mean[j % d]) * scale[j % d]);
}

/**
 * The name vectors of this corpus start with: the corpus's own name, or --name; with --name over
 * several corpora, --name-L<layer>, so each layer's vectors keep their own names.
 */
function vectorPrefix(options: ProbeOptions, corpus: CorpusRecord, layer: number | null): string {
  if (options.name === undefined) return corpus.name;
  if (options.corpora.length === 1) return options.name;
  return layer !== null ? `${options.name}-L${layer}` : `${options.name}-${corpus.name}`;
}

const layerOf = (corpus: CorpusRecord): number | null =>
  typeof corpus.source.layer === 'number' ? corpus.source.layer : null;

/** Two corpora whose vectors would share names (the same layer, with --name) are refused before any work. */
function checkPrefixesDistinct(options: ProbeOptions, corpora: readonly CorpusRecord[]): void {
  const seen = new Map<string, string>();
  for (const corpus of corpora) {
    const prefix = vectorPrefix(options, corpus, layerOf(corpus));
    const other = seen.get(prefix);
    if (other !== undefined)
      throw new AppError(
        'invalid_input',
        `--name: corpora "${other}" and "${corpus.name}" would both name their vectors "${prefix}:…"; probe them separately or without --name`,
      );
    seen.set(prefix, corpus.name);
  }
}

/** One corpus (one layer): pool, take the class means' differences, fit and score the logistic probe. */
async function probeCorpus(
  project: Project,
  corpus: CorpusRecord,
  labels: LabelSource,
  options: ProbeOptions & { validation: number; seed: number; l2: number },
  afterShard: () => void,
): Promise<{ layer: ProbeLayer; vectors: ProbeVector[] }> {
  const { validation, seed, l2 } = options;
  const vectors: ProbeVector[] = [];
  const dIn = Number(corpus.source.dIn);
  const pooled = await poolCorpus(corpus, dIn, afterShard);
  const docs = new Map(listCorpusDocuments(project.db, corpus.id).map((d) => [d.id, d]));
  const labelOf = pooled.documentIds.map((id) => labels.of(docs.get(id)!.externalId, docs.get(id)!.meta));
  const found = [...new Set(labelOf.filter((l): l is string => l !== undefined))].sort();
  const classes = options.classes ?? found;
  for (const c of classes)
    if (!found.includes(c))
      throw new AppError(
        'invalid_input',
        `--classes: corpus "${corpus.name}" has no document labelled "${c}" by ${labels.describe} (labels: ${found.join(', ') || 'none'})`,
      );
  if (classes.length < 2)
    throw new AppError(
      'invalid_input',
      `corpus "${corpus.name}": a probe needs two classes or more; ${labels.describe} gave ${classes.length} (${classes.join(', ') || 'none'})`,
    );
  const rows: number[] = [];
  labelOf.forEach((l, i) => l !== undefined && classes.includes(l) && rows.push(i));
  const x = new Float32Array(rows.length * dIn);
  rows.forEach((r, i) => x.set(pooled.x.subarray(r * dIn, (r + 1) * dIn), i * dIn));
  const y = Int32Array.from(rows, (r) => classes.indexOf(labelOf[r]!));
  const kinds = new Set(rows.map((r) => pooled.pooled[r]));
  const poolKind = kinds.size === 1 ? [...kinds][0] : 'mixed';
  const layer = layerOf(corpus);

  const means = classes.map((_, c) => classMean(x, y, dIn, c));
  const counts = classes.map((_, c) => y.filter((l) => l === c).length);
  const prefix = vectorPrefix(options, corpus, layer);
  const pairs: ProbeLayer['pairs'] = [];
  for (let a = 0; a < classes.length; a++) {
    for (let b = a + 1; b < classes.length; b++) {
      const diff = diffOfMeans(means[a], means[b]);
      const base = `${prefix}:${classes[a]}->${classes[b]}`;
      const source = (unit: boolean): ProbeVectorSource => ({
        kind: 'probe',
        method: 'diff-of-means',
        corpus: corpus.name,
        layer,
        from: classes[a],
        to: classes[b],
        unit,
        documents: { from: counts[a], to: counts[b] },
        pooled: poolKind,
      });
      vectors.push({ name: base, values: diff.raw, source: source(false) });
      vectors.push({ name: `${base}:unit`, values: diff.unit, source: source(true) });
      pairs.push({ from: classes[a], to: classes[b], norm: diff.norm, vector: base, unitVector: `${base}:unit` });
    }
  }

  const split = stratifiedSplit(y, classes.length, validation, seed);
  const z = standardise(x, dIn, split.train);
  const problem = { x: z, labels: y, d: dIn, classes: classes.length, rows: split.train, l2 };
  const fit = fitLogistic(problem);
  const layerResult: ProbeLayer = {
    corpus: corpus.name,
    layer,
    documents: rows.length,
    unlabelled: labelOf.filter((l) => l === undefined).length,
    pooled: poolKind,
    classes: classes.map((name, c) => ({ name, documents: counts[c] })),
    pairs,
    logistic: {
      train: split.train.length,
      validation: split.validation.length,
      trainAccuracy: accuracy(fit.theta, z, y, dIn, classes.length, split.train),
      validationAccuracy:
        split.validation.length > 0 ? accuracy(fit.theta, z, y, dIn, classes.length, split.validation) : null,
      chance: Math.max(...counts) / rows.length,
      loss: fit.loss,
      iterations: fit.iterations,
    },
  };
  return { layer: layerResult, vectors };
}

export async function runProbe(project: Project, options: ProbeOptions): Promise<ProbeSummary> {
  const validation = options.validation ?? 0.2;
  if (!(validation >= 0 && validation < 1))
    throw new AppError(
      'invalid_input',
      `--validation: expected a share from 0 up to (not including) 1, got ${validation}`,
    );
  const seed = options.seed ?? 0;
  const l2 = options.l2 ?? 1e-2;
  if (!(l2 >= 0)) throw new AppError('invalid_input', `--l2: expected 0 or more, got ${l2}`);
  if (options.corpora.length === 0) throw new AppError('invalid_input', '--corpus: expected at least one corpus');
  // A class named twice would be a second class of no documents, whose mean and vectors are NaN.
  const repeated = options.classes?.find((c, i) => options.classes!.indexOf(c) !== i);
  if (repeated !== undefined)
    throw new AppError('invalid_input', `--classes: "${repeated}" is named twice; name each class once`);
  const labels = labelSource(options);
  const corpora = options.corpora.map((name) => getCorpus(project, name));
  checkPrefixesDistinct(options, corpora);

  const settings = { ...options, validation, seed, l2 };
  const totalShards = corpora.reduce((n, c) => n + c.shards.length, 0);
  const runner = options.runner ?? new JobRunner();
  const described = {
    state: 'done' as const,
    name: options.name ?? null,
    labels: labels.describe,
    validation,
    seed,
    l2,
  };
  const outcome = await runner.run(
    {
      db: project.db,
      dir: project.dir,
      kind: 'probe',
      params: {
        corpora: options.corpora,
        labels: labels.describe,
        classes: options.classes ?? null,
        validation,
        seed,
        l2,
      },
      // Nothing is kept between runs (vectors are stored at the end, in one transaction): start afresh.
      resume: false,
      ...(options.listener ? { listener: options.listener } : {}),
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    },
    async (job) => {
      let done = 0;
      job.progress(done, totalShards);
      const layers: ProbeLayer[] = [];
      const vectors: ProbeVector[] = [];
      for (const corpus of corpora) {
        const result = await probeCorpus(project, corpus, labels, settings, () => {
          job.progress(++done, totalShards, `corpus "${corpus.name}"`);
          job.throwIfCancelled();
        });
        layers.push(result.layer);
        vectors.push(...result.vectors);
      }
      job.throwIfCancelled();
      // The vectors and the run they belong to are stored together: a run listed is a run whose vectors exist.
      return project.db.transaction(() => {
        const stored = storeVectors(project, vectors).map(({ record, stored }, i): ProbeSummary['vectors'][number] => {
          const { source, values } = vectors[i];
          return {
            name: record.name,
            sha256: record.sha256,
            dModel: record.dModel,
            stored,
            corpus: source.corpus,
            layer: source.layer,
            from: source.from,
            to: source.to,
            unit: source.unit,
            norm: l2Norm(values),
          };
        });
        const run = { ...described, jobId: job.id, createdAt: project.clock.now(), layers, vectors: stored };
        return { ...run, runId: insertProbeRun(project.db, run) };
      })();
    },
  );
  if (outcome.state === 'done' && outcome.result) return outcome.result;
  // Cancelled: nothing was stored.
  return {
    ...described,
    state: 'cancelled',
    jobId: outcome.jobId,
    runId: null,
    createdAt: project.clock.now(),
    layers: [],
    vectors: [],
  };
}
