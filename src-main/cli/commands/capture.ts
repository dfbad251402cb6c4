import path from 'node:path';
import { parseLayers } from '../../steer/capture';
import { DEFAULT_IMAGE_PROMPT } from '../../steer/capture-images';
import { parseShard } from '../../util/shard-slice';
import { AppError } from '../../util/errors';
import { callJob } from '../job-call';
import { withProject } from '../project-session';
import { intOption, stringOption, type Command, PROVIDER_OPTION, providerOption } from '../command';

export const captureCommand: Command = {
  name: 'capture',
  summary:
    'run a model over captions and/or images (LLaVA-NeXT) and keep the residual stream at chosen layers as activation corpora (one per layer), imported in the same job (resumable; Ctrl-C cancels)',
  usage:
    'sightline capture --project DIR --model NAME --layers 5,8,12 (--captions FILE | --images DIR|CSV|IMAGE [--prompt TEXT] [--chat] [--captions FILE]) [--corpus NAME] [--dtype f32|f16] [--batch 8] [--chunk 1024] [--shard i/n] [--provider auto|cuda|cpu]',
  options: {
    project: { type: 'string', required: true, description: 'project folder (holds the model)' },
    model: { type: 'string', required: true, description: 'model name (see import-model)' },
    layers: {
      type: 'string',
      required: true,
      description: 'layers L to keep: the residual stream entering block L (transformers hidden_states[L])',
    },
    captions: {
      type: 'string',
      description: 'text documents: one caption per line, or a CSV with document,caption[,label]',
    },
    images: {
      type: 'string',
      description:
        'image documents (LLaVA-NeXT): a folder (one subfolder per class, its name the label), a CSV image,document,label|class,caption or one image file',
    },
    prompt: {
      type: 'string',
      description: `image documents' prompt (default ${JSON.stringify(DEFAULT_IMAGE_PROMPT)}; <image> put in front when absent); a CSV caption follows it`,
    },
    chat: { type: 'boolean', description: "place the image prompt as the user's message of the model's chat template" },
    shard: {
      type: 'string',
      description:
        'i/n: capture only block i of n of the shard files (a job array task; imports nothing); run once more without it to import',
    },
    corpus: {
      type: 'string',
      description: 'corpora are named NAME-L<layer> (default: <model>-<images or captions file name>)',
    },
    dtype: { type: 'string', default: 'f32', description: 'shard precision: f32 or f16 (recorded with each shard)' },
    batch: { type: 'string', default: '8', description: 'documents per forward pass' },
    chunk: { type: 'string', default: '1024', description: 'documents per shard file (the unit a resumed run skips)' },
    provider: PROVIDER_OPTION,
    threads: { type: 'string', description: 'ORT intra-op threads (default: all cores)' },
  },
  run: async (options, output) => {
    const provider = providerOption(options);
    const dtype = stringOption(options, 'dtype').toUpperCase();
    if (dtype !== 'F32' && dtype !== 'F16')
      throw new AppError('invalid_input', `--dtype: expected f32 or f16, got "${stringOption(options, 'dtype')}"`);
    const input = {
      model: stringOption(options, 'model'),
      layers: parseLayers(stringOption(options, 'layers')),
      ...(options.captions !== undefined ? { captions: path.resolve(stringOption(options, 'captions')) } : {}),
      ...(options.images !== undefined ? { images: path.resolve(stringOption(options, 'images')) } : {}),
      ...(options.prompt !== undefined ? { prompt: stringOption(options, 'prompt') } : {}),
      ...(options.chat === true ? { chat: true } : {}),
      ...(options.shard !== undefined ? { shard: parseShard(stringOption(options, 'shard')) } : {}),
      ...(options.corpus !== undefined ? { corpus: stringOption(options, 'corpus') } : {}),
      dtype: dtype as 'F32' | 'F16',
      batch: intOption(options, 'batch'),
      chunk: intOption(options, 'chunk'),
      provider: provider as 'auto' | 'cuda' | 'cpu',
      ...(options.threads !== undefined ? { threads: intOption(options, 'threads') } : {}),
    };
    const summary = await withProject(stringOption(options, 'project'), (project) =>
      callJob(project, 'capture.run', input, 'capture', 'documents'),
    );
    output.result(summary, () =>
      summary.state === 'cancelled'
        ? `capture ${summary.captureId}: cancelled (job ${summary.jobId}); finished shards stay in ${summary.folder}, and the same command resumes`
        : [
            `capture ${summary.captureId}: ${summary.documents} documents (${summary.captured} this run), ${summary.dtype} shards in ${summary.folder}, on ${summary.provider ?? '-'} (job ${summary.jobId})`,
            // A shard imports nothing: its corpora come with the run without --shard.
            ...(summary.shard
              ? [
                  `  shard ${summary.shard} done; run the same command without --shard to capture what is missing and import`,
                ]
              : summary.corpora.map((c) => `  corpus "${c.corpus}": layer ${c.layer}, ${c.rows} rows`)),
          ].join('\n'),
    );
  },
};
