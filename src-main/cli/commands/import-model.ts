import { EventBus } from '../../api/events';
import { callAsResearcher, withProject } from '../project-session';
import { stringOption, type Command } from '../command';

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export const importModelCommand: Command = {
  name: 'import-model',
  summary:
    'reference a Hugging Face language model folder (Llama, Mistral, LLaVA-NeXT) in a project; weights are hashed once, not copied',
  usage: 'sightline import-model --project DIR --path HF_FOLDER [--name NAME]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    path: {
      type: 'string',
      required: true,
      description: 'Hugging Face model folder (config.json, *.safetensors, tokenizer.json)',
    },
    name: { type: 'string', description: 'name in the project (default: the folder name)' },
  },
  run: async (options, output) => {
    const events = new EventBus();
    // One progress line per whole percent (hashing a 15 GB model takes minutes).
    let shown = -1;
    events.subscribe((name, payload) => {
      if (name !== 'model.hashProgress') return;
      const p = payload as { file: string; bytes: number; totalBytes: number };
      const percent = p.totalBytes === 0 ? 100 : Math.floor((100 * p.bytes) / p.totalBytes);
      if (percent === shown) return;
      shown = percent;
      output.info(`import-model: hashing ${p.file}: ${mib(p.bytes)}/${mib(p.totalBytes)} MiB (${percent}%)`);
    });
    const model = await withProject(stringOption(options, 'project'), (project) =>
      callAsResearcher(
        project,
        'models.import',
        {
          path: stringOption(options, 'path'),
          ...(options.name !== undefined ? { name: stringOption(options, 'name') } : {}),
        },
        events,
      ),
    );
    output.result(
      model,
      () =>
        `Imported model "${model.name}": ${model.architecture}, d_model ${model.dModel}, ${model.nLayers} layers, vocab ${model.vocabSize}, ${model.dtype}, ${model.files.length} files, ${mib(model.size)} MiB (sha256 ${model.sha256.slice(0, 12)}…)${model.hasChatTemplate ? ', chat template' : ''}`,
    );
  },
};
