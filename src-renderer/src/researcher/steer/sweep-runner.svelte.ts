// The Steer page's sweep: started with the page's model, method and its vector or SAE feature, layer,
// positions, length and sampling over a k range (ablate: one generation per prompt), on the current
// prompt (LLaVA-NeXT: with the page's image), a prompts file or (LLaVA-NeXT) a folder or CSV of images
// asked the page's prompt; its progress from 'job.progress' events; its
// generations read back by job (while it runs too) and browsed by k; and a campaign made from them.
import type { JobProgressEvent, SweepGeneration, SweepListing } from '../../../../src-main/contract';
import { call, errorText, onEvent } from '../../lib/client';
import { groupByK, kValues } from './steer-logic';
import type { SteerSession } from './steer-session.svelte';

export type CampaignTemplate = 'concept-choice' | 'concept-relatedness' | 'pairwise';

export class SweepRunner {
  kFrom = $state(0);
  kTo = $state(8);
  kCount = $state(3);
  source = $state<'current' | 'file' | 'images'>('current');
  promptsPath = $state('');
  /** LLaVA-NeXT: a folder with a folder of images per class, or a CSV (as `sightline sweep --images`) */
  imagesPath = $state('');
  /** for the current prompt: the classes a concept-choice campaign asks about (optional) */
  sourceClass = $state('');
  targetClass = $state('');
  distractors = $state('');

  jobId = $state<number | null>(null);
  progress = $state.raw<JobProgressEvent | null>(null);
  cancelling = $state(false);
  error = $state<string | null>(null);

  sweeps = $state.raw<SweepListing[]>([]);
  sweepId = $state<string | null>(null);
  generations = $state.raw<SweepGeneration[]>([]);
  /** index into `groups` shown by the browser */
  kIndex = $state(0);

  template = $state<CampaignTemplate>('concept-choice');
  campaignName = $state('');
  campaign = $state.raw<{ campaignId: number; items: number } | null>(null);

  readonly ks = $derived(kValues(this.kFrom, this.kTo, this.kCount));
  readonly groups = $derived(groupByK(this.generations));
  readonly shown = $derived(this.groups[Math.min(this.kIndex, this.groups.length - 1)] ?? null);
  readonly running = $derived(this.progress?.state === 'running' || this.progress?.state === 'queued');

  constructor(private readonly session: SteerSession) {}

  /** Lists earlier sweeps and follows this page's sweep job; returns the stop function. */
  start(): () => void {
    void this.listSweeps();
    return onEvent('job.progress', (event) => {
      if (event.jobId !== this.jobId) return;
      this.progress = event;
      void this.loadGenerations();
      if (event.state !== 'running' && event.state !== 'queued') {
        this.cancelling = false;
        void this.listSweeps();
      }
    });
  }

  async listSweeps(): Promise<void> {
    try {
      this.sweeps = await call('sweeps.list', {});
    } catch (caught) {
      this.error = errorText(caught);
    }
  }

  /** The classes typed for the current prompt (a concept-choice campaign's source, target, distractors). */
  private classes() {
    const distractors = this.distractors
      .split(/[;,]/)
      .map((d) => d.trim())
      .filter(Boolean);
    return {
      ...(this.sourceClass.trim() ? { sourceClass: this.sourceClass.trim() } : {}),
      ...(this.targetClass.trim() ? { targetClass: this.targetClass.trim() } : {}),
      ...(distractors.length ? { distractors } : {}),
    };
  }

  private async prompts() {
    if (this.source === 'file') return call('sweeps.readPrompts', { path: this.promptsPath });
    return [{ prompt: this.session.prompt, ...this.classes() }];
  }

  /**
   * The page's image when the current prompt is swept on a LLaVA-NeXT model: the answers on the page
   * are about it, so the sweep's one row is that image (as `sweep --images FILE`). A path typed but not
   * yet shown is shown first; undefined when there is none, 'refused' when it is no image.
   */
  private async currentImage(): Promise<string | undefined | 'refused'> {
    const s = this.session;
    if (this.source !== 'current' || !s.takesImages) return undefined;
    if (s.image.pending(s.model) && !(await s.image.show(s.model))) return 'refused';
    return s.image.preview?.path;
  }

  async startSweep(): Promise<void> {
    const s = this.session;
    const { source, samplingRequest: sampling } = s;
    // Ablate has no k: one generation per prompt.
    const ks = s.method === 'ablate' ? [] : this.ks;
    for (const checked of [ks, source, sampling]) if (typeof checked === 'string') this.error = checked;
    if (typeof ks === 'string' || typeof source === 'string' || typeof sampling === 'string') return;
    // The image field shows why a path was refused; nothing is swept without the image.
    const image = await this.currentImage();
    if (image === 'refused') return;
    this.error = null;
    this.campaign = null;
    this.generations = [];
    this.progress = null;
    try {
      // Images: one row per image, each asked the page's prompt; its class is the image's folder.
      // The page's own image: one row, its classes those typed for the current prompt.
      const imagePrompt = s.prompt.trim() ? { imagePrompt: s.prompt } : {};
      const rows =
        this.source === 'images'
          ? {
              images: this.imagesPath.trim(),
              ...imagePrompt,
              ...(this.targetClass.trim() ? { targetClass: this.targetClass.trim() } : {}),
            }
          : image !== undefined
            ? { images: image, ...imagePrompt, ...this.classes() }
            : { prompts: await this.prompts() };
      const { jobId } = await call('sweeps.start', {
        model: s.model,
        method: s.method,
        ...source,
        layer: s.layer,
        ks,
        // Without a seed the sweep samples from seed 0 (every shard alike), as `sightline sweep`.
        ...(sampling ? { sampling } : {}),
        ...rows,
        positions: s.positions,
        tokens: s.tokens,
        chat: s.chat,
      });
      this.jobId = jobId;
      this.kIndex = 0;
      // Events sent before the job id came back were not recognised: read the job once.
      const job = (await call('jobs.list', { limit: 20 })).find((j) => j.id === jobId);
      if (job && (this.progress === null || (job.state !== 'running' && job.state !== 'queued'))) {
        const { state, done, total, ratePerSecond, etaSeconds } = job;
        this.progress = { jobId, kind: 'sweep', state, done, total, ratePerSecond, etaSeconds };
      }
      await this.loadGenerations();
    } catch (caught) {
      this.error = errorText(caught);
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId === null) return;
    this.cancelling = true;
    try {
      await call('jobs.cancel', { jobId: this.jobId });
    } catch (caught) {
      this.cancelling = false;
      this.error = errorText(caught);
    }
  }

  async loadGenerations(): Promise<void> {
    try {
      // This page's job names its sweep before the first generation is written.
      const answer =
        this.jobId !== null
          ? await call('sweeps.generations', { jobId: this.jobId })
          : this.sweepId !== null
            ? await call('sweeps.generations', { sweepId: this.sweepId })
            : { sweepId: null, generations: [] };
      this.sweepId = answer.sweepId;
      this.generations = answer.generations;
    } catch (caught) {
      this.error = errorText(caught);
    }
  }

  /** Shows an earlier sweep (from the list) in the browser. */
  async openSweep(sweepId: string): Promise<void> {
    this.jobId = null;
    this.progress = null;
    this.campaign = null;
    this.sweepId = sweepId;
    this.kIndex = 0;
    await this.loadGenerations();
  }

  async makeCampaign(): Promise<void> {
    if (this.generations.length === 0) return;
    this.error = null;
    try {
      this.campaign = await call('campaigns.create', {
        name: this.campaignName.trim() || `Sweep ${this.sweepId ?? ''}`.trim(),
        template: this.template,
        source: { kind: 'generations', generationIds: this.generations.map((g) => g.generationId) },
      });
    } catch (caught) {
      this.error = errorText(caught);
    }
  }
}
