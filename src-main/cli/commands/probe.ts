import path from 'node:path';
import type { ProbeRunListing, ProbeSummary } from '../../contract/probes';
import { callJob } from '../job-call';
import { callAsResearcher, withProject } from '../project-session';
import { intOption, stringOption, type Command } from '../command';
import { numberOption } from './generate';

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const percent = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);

/** A run as `probe` and `probe show` print it: accuracy by layer, then each layer's vectors. */
function describeRun(summary: ProbeSummary): string {
  return [
    `probe${summary.runId !== null ? ` run ${summary.runId}` : ''}: labels from ${summary.labels}; validation ${summary.validation} (seed ${summary.seed}), L2 ${summary.l2}`,
    ...summary.layers.flatMap((l) => [
      `  layer ${l.layer ?? '?'} (corpus "${l.corpus}"): ${l.documents} documents, ${l.pooled} tokens pooled; ${l.classes.map((c) => `${c.name} ${c.documents}`).join(', ')}; validation accuracy ${percent(l.logistic.validationAccuracy)} (train ${percent(l.logistic.trainAccuracy)}, chance ${percent(l.logistic.chance)})`,
      ...l.pairs.map(
        (p) => `    vector "${p.vector}" (and "${p.unitVector}"): ${p.from} → ${p.to}, norm ${p.norm.toPrecision(4)}`,
      ),
    ]),
    `${summary.vectors.filter((v) => v.stored).length} vectors stored, ${summary.vectors.filter((v) => !v.stored).length} already there`,
  ].join('\n');
}

const describeListing = (run: ProbeRunListing): string =>
  `run ${run.runId}: ${new Date(run.createdAt).toISOString()}, ${run.classes.join(', ')} (labels from ${run.labels}), ${run.vectors} vectors; validation accuracy by layer: ${run.layers
    .map((l) => `L${l.layer ?? '?'} ${percent(l.validationAccuracy)}`)
    .join(', ')}`;

export const probeCommand: Command = {
  name: 'probe',
  summary:
    'per captured layer: difference-of-means vectors between classes (stored as vectors) and a logistic probe with its validation accuracy',
  usage:
    'sightline probe --project DIR --corpus NAME[,NAME…] [--labels CSV | --labels-from-folders] [--classes A,B] [--validation 0.2] [--seed 0] [--l2 0.01] [--name PREFIX]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    corpus: {
      type: 'string',
      required: true,
      description: 'corpora, one per layer (as capture names them: NAME-L<layer>)',
    },
    labels: {
      type: 'string',
      description: "a CSV document,label (default: each document's label from capture's CSV)",
    },
    'labels-from-folders': {
      type: 'boolean',
      description: 'the class is the folder part of the document id (class/file)',
    },
    classes: { type: 'string', description: 'the classes to use, in order (vectors go from each to every later one)' },
    validation: {
      type: 'string',
      default: '0.2',
      description: 'share of each class held out to score the logistic probe',
    },
    seed: { type: 'string', default: '0', description: 'seed of the validation split' },
    l2: {
      type: 'string',
      default: '0.01',
      description: 'L2 penalty of the logistic probe (on standardised activations)',
    },
    name: {
      type: 'string',
      description:
        'vector names PREFIX:A->B and PREFIX:A->B:unit (default: the corpus name; with several corpora PREFIX-L<layer>)',
    },
  },
  run: async (options, output) => {
    const input = {
      corpora: list(stringOption(options, 'corpus')),
      ...(options.labels !== undefined ? { labels: path.resolve(stringOption(options, 'labels')) } : {}),
      labelsFromFolders: options['labels-from-folders'] === true,
      ...(options.classes !== undefined ? { classes: list(stringOption(options, 'classes')) } : {}),
      validation: numberOption(options, 'validation')!,
      seed: intOption(options, 'seed'),
      l2: numberOption(options, 'l2')!,
      ...(options.name !== undefined ? { name: stringOption(options, 'name') } : {}),
    };
    const summary = await withProject(stringOption(options, 'project'), (project) =>
      callJob(project, 'probes.run', input, 'probe', 'shards'),
    );
    if (summary.state === 'cancelled') {
      output.result(summary, () => `probe: cancelled (job ${summary.jobId}); no vector was stored`);
      return;
    }
    output.result(summary, () => describeRun(summary));
  },
};

export const probeListCommand: Command = {
  name: 'probe list',
  summary: "the project's probe runs, newest first, with validation accuracy by layer",
  usage: 'sightline probe list --project DIR',
  options: { project: { type: 'string', required: true, description: 'project folder' } },
  run: async (options, output) => {
    const runs = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'probes.list', {}),
    );
    output.result(runs, () =>
      runs.length === 0 ? 'No probe runs; run one with `sightline probe`.' : runs.map(describeListing).join('\n'),
    );
  },
};

export const probeShowCommand: Command = {
  name: 'probe show',
  summary: 'one probe run: accuracy by layer (train, validation, chance) and its vectors',
  usage: 'sightline probe show --project DIR --run ID',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    run: { type: 'string', required: true, description: 'the run (see probe list)' },
  },
  run: async (options, output) => {
    const runId = intOption(options, 'run');
    const run = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(project, 'probes.get', { runId }),
    );
    output.result(run, () => describeRun(run));
  },
};
