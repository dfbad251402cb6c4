import type { modelMethods, ModelSummary } from '../contract/models';
import { importModel, listModelRecords, type ModelRecord } from '../importers/model-import';
import { generateOnce } from '../steer/generate';
import type { HandlersFor } from './handlers';

function summary(m: ModelRecord): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    path: m.path,
    size: m.size,
    sha256: m.sha256,
    architecture: m.architecture,
    dModel: m.dModel,
    nLayers: m.nLayers,
    vocabSize: m.vocabSize,
    dtype: m.dtype,
    hasChatTemplate: m.hasChatTemplate,
    files: m.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
  };
}

export const modelHandlers: HandlersFor<typeof modelMethods> = {
  'models.import': async (input, { project, events }) => {
    const record = await importModel(
      project,
      { path: input.path, ...(input.name !== undefined ? { name: input.name } : {}) },
      (p) => events.emit('model.hashProgress', p),
    );
    return summary(record);
  },
  'models.list': (_input, { project }) => listModelRecords(project).map(summary),
  'models.generate': (input, { project, events }) =>
    generateOnce(
      project,
      {
        model: input.model,
        prompt: input.prompt,
        chat: input.chat,
        ...(input.steer ? { steer: input.steer } : {}),
        ...(input.sampling ? { sampling: input.sampling } : {}),
        tokens: input.tokens,
        stopAtEos: input.stopAtEos,
        provider: input.provider,
        precision: input.precision,
        ...(input.image !== undefined ? { image: input.image } : {}),
      },
      (step, token, text) => events.emit('generate.step', { stream: input.stream ?? null, step, token, text }),
    ),
};
