// The Capture panel's form, without a DOM: which models take images, the layer list checked against
// the model as it is typed, and the capture.start request the fields make (what `sightline capture`
// takes: --prompt and --chat only with images, the default prompt left out so the CLI's capture id matches).
import type { CorpusSummary, MethodInput, ModelSummary } from '../../../../src-main/contract';

/** capture's image prompt when none is given (src-main/steer/capture-images.ts; a test keeps them equal). */
export const DEFAULT_CAPTURE_PROMPT = '<image>\nWhat is shown in this image?';

/** Only LLaVA-NeXT models run a vision tower: the others capture captions only. */
export const takesImages = (model: Pick<ModelSummary, 'architecture'> | undefined): boolean =>
  model?.architecture === 'LlavaNextForConditionalGeneration';

/**
 * "1, 2" → [1, 2] (sorted, each once), or what is wrong with it: layer L is the residual stream
 * entering block L, so 0 .. nLayers − 1.
 */
export function parseLayerList(text: string, nLayers: number): number[] | string {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) return `Layers: expected layer numbers like 1,2 (0 to ${nLayers - 1}).`;
  const layers: number[] = [];
  for (const part of parts) {
    const layer = /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (!Number.isInteger(layer)) return `Layers: "${part}" is not a layer number.`;
    if (layer >= nLayers) return `Layers: ${layer} is past the model's last layer, ${nLayers - 1} (it has ${nLayers}).`;
    if (layers.includes(layer)) return `Layers: ${layer} is listed twice.`;
    layers.push(layer);
  }
  return layers.sort((a, b) => a - b);
}

export interface CaptureForm {
  model: ModelSummary | undefined;
  layers: string;
  images: string;
  captions: string;
  prompt: string;
  chat: boolean;
  dtype: 'F32' | 'F16';
  corpus: string;
}

/** The capture.start input the form makes, or the one-line reason it cannot start. */
export function captureRequest(form: CaptureForm): MethodInput<'capture.start'> | string {
  const { model } = form;
  if (!model) return 'Model: import one first (sightline import-model).';
  const layers = parseLayerList(form.layers, model.nLayers);
  if (typeof layers === 'string') return layers;
  const images = takesImages(model) ? form.images.trim() : '';
  const captions = form.captions.trim();
  if (!images && !captions)
    return takesImages(model)
      ? 'Source: give an images folder or CSV, or a captions file.'
      : 'Source: give a captions file (images need a LLaVA-NeXT model).';
  const prompt = form.prompt.trim() === '' ? DEFAULT_CAPTURE_PROMPT : form.prompt;
  const corpus = form.corpus.trim();
  return {
    model: model.name,
    layers,
    ...(images ? { images } : {}),
    ...(captions ? { captions } : {}),
    ...(images && prompt !== DEFAULT_CAPTURE_PROMPT ? { prompt } : {}),
    ...(images && form.chat ? { chat: true } : {}),
    dtype: form.dtype,
    ...(corpus ? { corpus } : {}),
  };
}

/** The capture's corpora as the project lists them now (rows and documents), in layer order. */
export function capturedCorpora(
  planned: readonly { layer: number; corpus: string }[],
  corpora: readonly CorpusSummary[],
): { layer: number; corpus: CorpusSummary }[] {
  return planned.flatMap(({ layer, corpus }) => {
    const found = corpora.find((entry) => entry.name === corpus);
    return found ? [{ layer, corpus: found }] : [];
  });
}
