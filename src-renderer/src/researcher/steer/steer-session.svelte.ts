// The Steer page's form and its live generation: the models, vectors and SAEs to pick from, the
// settings (a vector's add/ablate/cap or an SAE feature's clamp; greedy or sampled), and the two answers (k = 0 and steered) filled token by token from 'steer.step' events while
// steer.generate runs. The call's answer is authoritative: events that arrive after it change nothing.
import type { ModelSummary, SaeSummary, SteerGenerateOutput, VectorSummary } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';
import { SteerImage } from './steer-image.svelte';
import { newStreamTag, type SamplingFields, samplingOf, type SteerMethod, steerSource } from './steer-logic';

export type { SteerMethod };
export type SteerPositions = 'prompt' | 'generated' | 'all';

export class SteerSession {
  models = $state.raw<ModelSummary[]>([]);
  vectors = $state.raw<VectorSummary[]>([]);
  saes = $state.raw<SaeSummary[]>([]);
  loaded = $state(false);

  model = $state('');
  prompt = $state('');
  chat = $state(false);
  vector = $state('');
  /** clamp: the SAE and its feature */
  sae = $state('');
  feature = $state(0);
  layer = $state(0);
  method = $state<SteerMethod>('add');
  k = $state(8);
  /** greedy unless `sampled`; an empty seed is chosen by the server (and shown after) */
  sampling = $state<SamplingFields>({ sampled: false, temperature: 0.7, topP: 1, seed: '' });
  positions = $state<SteerPositions>('prompt');
  tokens = $state(40);
  /** LLaVA-NeXT models: the image the prompt is about (both answers see it) */
  readonly image = new SteerImage();

  baselineText = $state('');
  steeredText = $state('');
  running = $state(false);
  stopping = $state(false);
  result = $state.raw<SteerGenerateOutput | null>(null);
  error = $state<string | null>(null);
  private stream: string | null = null;

  readonly selectedModel = $derived(this.models.find((m) => m.name === this.model));
  /** Whether the chosen model takes an image (LLaVA-NeXT). */
  readonly takesImages = $derived(this.selectedModel?.architecture === 'LlavaNextForConditionalGeneration');
  readonly maxLayer = $derived(Math.max(0, (this.selectedModel?.nLayers ?? 1) - 1));
  /** Vectors whose d_model fits the chosen model (the server checks again). */
  readonly usableVectors = $derived(
    this.vectors.filter((v) => !this.selectedModel || v.dModel === this.selectedModel.dModel),
  );
  /** SAEs whose input width fits the chosen model (the server checks again). */
  readonly usableSaes = $derived(this.saes.filter((s) => !this.selectedModel || s.dIn === this.selectedModel.dModel));
  readonly selectedSae = $derived(this.saes.find((s) => s.name === this.sae));
  /** The vector or SAE feature to steer with, or why there is none yet. */
  readonly source = $derived(steerSource(this.method, this.vector, this.sae, this.feature, this.selectedSae?.dSae));
  readonly samplingRequest = $derived(samplingOf(this.sampling));
  readonly canGenerate = $derived(
    !this.running &&
      this.model !== '' &&
      typeof this.source !== 'string' &&
      typeof this.samplingRequest !== 'string' &&
      this.prompt.trim() !== '' &&
      this.tokens >= 1,
  );

  /** Loads the pickers and follows the steps of this page's generations; returns the stop function. */
  start(): () => void {
    void this.load();
    return onEvent('steer.step', (event) => {
      if (!this.running || event.stream !== this.stream) return;
      if (event.baseline) this.baselineText += event.baseline.text;
      if (event.steered) this.steeredText += event.steered.text;
    });
  }

  async load(): Promise<void> {
    try {
      const [models, vectors, overview] = await Promise.all([
        call('models.list', {}),
        call('vectors.list', {}),
        call('project.overview', {}),
      ]);
      this.models = models;
      this.vectors = vectors;
      this.saes = overview.saes;
      if (!this.model && models.length > 0) this.pickModel(models[0].name);
      this.error = null;
    } catch (caught) {
      this.error = errorText(caught);
    } finally {
      this.loaded = true;
    }
  }

  pickModel(name: string): void {
    this.model = name;
    this.layer = Math.min(this.layer, this.maxLayer);
    if (!this.usableVectors.some((v) => v.name === this.vector)) this.vector = this.usableVectors[0]?.name ?? '';
    if (!this.usableSaes.some((s) => s.name === this.sae)) this.sae = this.usableSaes[0]?.name ?? '';
    // the positions an image takes depend on the model
    if (this.takesImages && this.image.path.trim() !== '') void this.image.show(name);
  }

  async generate(): Promise<void> {
    const source = this.source;
    const sampling = this.samplingRequest;
    if (!this.canGenerate || typeof source === 'string' || typeof sampling === 'string') return;
    // A path typed but not yet shown (no Enter, focus still in the field) is shown first; a bad one stops here.
    if (this.takesImages && this.image.pending(this.model) && !(await this.image.show(this.model))) return;
    const image = this.takesImages ? this.image.preview?.path : undefined;
    const stream = newStreamTag();
    this.stream = stream;
    this.running = true;
    this.stopping = false;
    this.baselineText = '';
    this.steeredText = '';
    this.result = null;
    this.error = null;
    try {
      const result = await call('steer.generate', {
        model: this.model,
        prompt: this.prompt,
        chat: this.chat,
        ...source,
        layer: this.layer,
        method: this.method,
        ...(this.method === 'ablate' ? {} : { k: this.k }),
        ...(sampling ? { sampling } : {}),
        positions: this.positions,
        tokens: this.tokens,
        ...(image !== undefined ? { image } : {}),
        stream,
      });
      this.result = result;
      this.baselineText = result.baseline.text;
      this.steeredText = result.steered.text;
    } catch (caught) {
      this.error = errorText(caught);
    } finally {
      this.running = false;
      this.stopping = false;
    }
  }

  async stop(): Promise<void> {
    if (!this.running || this.stopping || !this.stream) return;
    this.stopping = true;
    try {
      await call('steer.cancel', { stream: this.stream });
    } catch (caught) {
      this.error = errorText(caught);
    }
  }
}
