// The Steer page's form and its live generation: the models and vectors to pick from, the settings,
// and the two answers (k = 0 and steered) filled token by token from 'steer.step' events while
// steer.generate runs. The call's answer is authoritative: events that arrive after it change nothing.
import type { ModelSummary, SteerGenerateOutput, VectorSummary } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';
import { newStreamTag } from './steer-logic';

export type SteerMethod = 'add' | 'ablate' | 'cap';
export type SteerPositions = 'prompt' | 'generated' | 'all';

export class SteerSession {
  models = $state.raw<ModelSummary[]>([]);
  vectors = $state.raw<VectorSummary[]>([]);
  loaded = $state(false);

  model = $state('');
  prompt = $state('');
  chat = $state(false);
  vector = $state('');
  layer = $state(0);
  method = $state<SteerMethod>('add');
  k = $state(8);
  positions = $state<SteerPositions>('prompt');
  tokens = $state(40);

  baselineText = $state('');
  steeredText = $state('');
  running = $state(false);
  stopping = $state(false);
  result = $state.raw<SteerGenerateOutput | null>(null);
  error = $state<string | null>(null);
  private stream: string | null = null;

  readonly selectedModel = $derived(this.models.find((m) => m.name === this.model));
  readonly maxLayer = $derived(Math.max(0, (this.selectedModel?.nLayers ?? 1) - 1));
  /** Vectors whose d_model fits the chosen model (the server checks again). */
  readonly usableVectors = $derived(
    this.vectors.filter((v) => !this.selectedModel || v.dModel === this.selectedModel.dModel),
  );
  readonly canGenerate = $derived(
    !this.running && this.model !== '' && this.vector !== '' && this.prompt.trim() !== '' && this.tokens >= 1,
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
      const [models, vectors] = await Promise.all([call('models.list', {}), call('vectors.list', {})]);
      this.models = models;
      this.vectors = vectors;
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
  }

  async generate(): Promise<void> {
    if (!this.canGenerate) return;
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
        vector: this.vector,
        layer: this.layer,
        method: this.method,
        ...(this.method === 'ablate' ? {} : { k: this.k }),
        positions: this.positions,
        tokens: this.tokens,
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
