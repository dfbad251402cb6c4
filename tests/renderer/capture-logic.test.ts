// The Capture panel's form (issue 14), without a DOM: layers checked against the model as typed, the
// request `sightline capture` would make from the same settings (prompt and chat only with images, the
// default prompt left out), images refused for a text-only model, and the captured corpora found.
import { describe, expect, it } from 'vitest';
import type { CorpusSummary, ModelSummary } from '../../src-main/contract';
import { DEFAULT_IMAGE_PROMPT } from '../../src-main/steer/capture-images';
import {
  capturedCorpora,
  captureRequest,
  type CaptureForm,
  DEFAULT_CAPTURE_PROMPT,
  parseLayerList,
  takesImages,
} from '../../src-renderer/src/researcher/probes/capture-logic';

const model = (architecture: string, nLayers = 3): ModelSummary => ({
  id: 1,
  name: architecture === 'LlavaNextForConditionalGeneration' ? 'vision' : 'llama',
  path: '/m',
  size: 1,
  sha256: 'x',
  architecture,
  dModel: 64,
  nLayers,
  vocabSize: 100,
  dtype: 'F32',
  hasChatTemplate: true,
  files: [],
});
const llava = model('LlavaNextForConditionalGeneration');
const llama = model('LlamaForCausalLM');
const form = (over: Partial<CaptureForm>): CaptureForm => ({
  model: llava,
  layers: '1,2',
  images: '',
  captions: '',
  prompt: DEFAULT_CAPTURE_PROMPT,
  chat: false,
  dtype: 'F32',
  corpus: '',
  ...over,
});

describe('the capture form', () => {
  it('shows the prompt capture uses when none is given', () => {
    expect(DEFAULT_CAPTURE_PROMPT).toBe(DEFAULT_IMAGE_PROMPT);
  });

  it('checks layers against the model: 0 to nLayers − 1, each once, sorted', () => {
    expect(parseLayerList(' 2, 0 ,1', 3)).toEqual([0, 1, 2]);
    expect(parseLayerList('1,', 3)).toEqual([1]);
    expect(parseLayerList('3', 3)).toBe("Layers: 3 is past the model's last layer, 2 (it has 3).");
    expect(parseLayerList('1,1', 3)).toBe('Layers: 1 is listed twice.');
    expect(parseLayerList('1.5', 3)).toBe('Layers: "1.5" is not a layer number.');
    expect(parseLayerList('-1', 3)).toBe('Layers: "-1" is not a layer number.');
    expect(parseLayerList(' ', 32)).toBe('Layers: expected layer numbers like 1,2 (0 to 31).');
  });

  it('makes the request `sightline capture` takes: prompt and chat only with images, the default prompt left out', () => {
    expect(captureRequest(form({ images: ' /data/classes ', corpus: ' cls ' }))).toEqual({
      model: 'vision',
      layers: [1, 2],
      images: '/data/classes',
      dtype: 'F32',
      corpus: 'cls',
    });
    expect(captureRequest(form({ images: '/i', prompt: 'Describe <image>', chat: true, dtype: 'F16' }))).toEqual({
      model: 'vision',
      layers: [1, 2],
      images: '/i',
      prompt: 'Describe <image>',
      chat: true,
      dtype: 'F16',
    });
    // Captions alone: no prompt or chat, which capture refuses without images.
    expect(captureRequest(form({ captions: '/c.txt', prompt: 'other', chat: true }))).toEqual({
      model: 'vision',
      layers: [1, 2],
      captions: '/c.txt',
      dtype: 'F32',
    });
  });

  it('takes images only for a LLaVA-NeXT model, and needs a source, a model and good layers', () => {
    expect(takesImages(llava)).toBe(true);
    expect(takesImages(llama)).toBe(false);
    // A leftover images path is not sent for a text-only model.
    expect(captureRequest(form({ model: llama, images: '/i', captions: '/c.txt' }))).toEqual({
      model: 'llama',
      layers: [1, 2],
      captions: '/c.txt',
      dtype: 'F32',
    });
    expect(captureRequest(form({ model: llama, images: '/i' }))).toBe(
      'Source: give a captions file (images need a LLaVA-NeXT model).',
    );
    expect(captureRequest(form({}))).toBe('Source: give an images folder or CSV, or a captions file.');
    expect(captureRequest(form({ model: undefined }))).toBe('Model: import one first (sightline import-model).');
    expect(captureRequest(form({ images: '/i', layers: '7' }))).toMatch(/^Layers: 7 is past/);
  });

  it('finds the captured corpora in the project by the names capture.start planned, in layer order', () => {
    const corpus = (id: number, name: string): CorpusSummary => ({
      id,
      name,
      documentCount: 3,
      rows: 10 * id,
      model: 'vision',
      layer: null,
    });
    const listed = [corpus(1, 'other-L1'), corpus(2, 'cls-L2'), corpus(3, 'cls-L1')];
    const planned = [
      { layer: 1, corpus: 'cls-L1' },
      { layer: 2, corpus: 'cls-L2' },
    ];
    expect(capturedCorpora(planned, listed).map((c) => [c.layer, c.corpus.name, c.corpus.rows])).toEqual([
      [1, 'cls-L1', 30],
      [2, 'cls-L2', 20],
    ]);
    expect(capturedCorpora(planned, [listed[0]])).toEqual([]);
  });
});
