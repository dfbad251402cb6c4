// A long-lived engine for interactive generation (issue 13, the Steer page): building a decoder graph
// and its ORT session costs far more than a short generation, so the session stays loaded between
// requests. One model at a time is held, under a key naming what the session was built from (the
// model's sha256, the precision and the steerable layers); another key evicts it, and so does
// `idleMs` without a request. Requests run one after another: two decodes on one session would only
// share its cores, and an eviction must never pull a session from under a running decode.
import type { Clock, ClockTimer } from '../util/time.js';
import { EngineClient } from './client.js';
import type { LoadedLm, LoadLmArgs } from './protocol.js';

/** What a loaded session was built from; equal keys may share a session. */
export interface LmKey {
  modelSha256: string;
  precision: 'fp32';
  /** 'all': every layer steerable (what loadLm builds today) */
  steerLayers: 'all' | readonly number[];
  /** the execution providers asked for (auto, cuda, cpu) */
  providers: string;
}

export const lmKeyText = (key: LmKey): string =>
  [key.modelSha256, key.precision, key.steerLayers === 'all' ? 'all' : key.steerLayers.join(','), key.providers].join(
    '|',
  );

export interface LmPoolOptions {
  clock: Clock;
  /** how long a session may idle before it is released (default 10 minutes) */
  idleMs?: number;
  /** starts the engine worker (tests count its loads through this) */
  startEngine?: () => EngineClient;
}

export interface LeasedLm {
  client: EngineClient;
  loaded: LoadedLm;
  /** true when this request built the session (a model change, the first request, or after eviction) */
  loadedNow: boolean;
}

export interface LmPoolStats {
  /** sessions built since the pool was made */
  loads: number;
  /** sessions released for idling or for another model */
  evictions: number;
  /** the key of the session held now, or null */
  held: LmKey | null;
}

export class LmPool {
  private client: EngineClient | null = null;
  private current: { key: string; lmKey: LmKey; loaded: LoadedLm } | null = null;
  private idleTimer: ClockTimer | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private loads = 0;
  private evictions = 0;
  private readonly idleMs: number;

  constructor(private readonly options: LmPoolOptions) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
  }

  stats(): LmPoolStats {
    return { loads: this.loads, evictions: this.evictions, held: this.current?.lmKey ?? null };
  }

  /**
   * Runs `work` with the session for `key` (loading `folder` into it first when another or none is
   * held), after every earlier request has finished.
   */
  use<T>(key: LmKey, load: LoadLmArgs, work: (lease: LeasedLm) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.idleTimer?.cancel();
      this.idleTimer = null;
      try {
        const lease = await this.acquire(key, load);
        return await work(lease);
      } finally {
        this.armIdleTimer();
      }
    });
    // The queue continues after a failed request: the next one must not inherit its error.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Releases the session and stops the worker (server shutdown, or a test's end). */
  close(): Promise<void> {
    const closing = this.queue.then(() => this.release());
    this.queue = closing.catch(() => undefined);
    return closing;
  }

  private async acquire(lmKey: LmKey, load: LoadLmArgs): Promise<LeasedLm> {
    const key = lmKeyText(lmKey);
    if (this.current && this.current.key === key && this.client)
      return { client: this.client, loaded: this.current.loaded, loadedNow: false };
    if (this.current && this.client) {
      const previous = this.current;
      this.current = null;
      this.evictions++;
      await this.client.disposeLm(previous.loaded.lmId);
    }
    if (!this.client) {
      this.client = (this.options.startEngine ?? (() => EngineClient.start()))();
      this.client.unref();
    }
    const loaded = await this.client.loadLm(load);
    this.loads++;
    this.current = { key, lmKey, loaded };
    return { client: this.client, loaded, loadedNow: true };
  }

  private armIdleTimer(): void {
    if (!this.current) return;
    this.idleTimer = this.options.clock.setTimer(() => {
      this.idleTimer = null;
      // Queued behind any request that arrived as the timer fired: that request re-arms a timer when
      // it ends, and then the session is no longer idle.
      const idle = this.current;
      this.queue = this.queue
        .then(async () => {
          if (this.current !== idle || this.idleTimer) return;
          this.evictions++;
          await this.release();
        })
        .catch(() => undefined);
    }, this.idleMs);
  }

  private async release(): Promise<void> {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.current = null;
    const client = this.client;
    this.client = null;
    // Terminating the worker frees every session and its memory at once.
    await client?.close();
  }
}
