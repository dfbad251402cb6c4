// Active time per item, as DESIGN.md asks: time the page is visible and the rater has interacted
// within the last 30 s, not wall time. Time comes from the clock it is given (the page's in the
// app, one the test moves by hand in tests/renderer/active-timer.test.ts).
import type { Clock } from '../lib/clock';

export const IDLE_AFTER_MS = 30_000;

export class ActiveTimer {
  private accumulatedMs = 0;
  private markAt: number;
  private lastInteractionAt: number;
  private visible: boolean;
  /** On a break (the rater pressed b): nothing counts until they come back. */
  private paused = false;

  constructor(
    private readonly clock: Clock,
    visible = true,
    private readonly idleAfterMs = IDLE_AFTER_MS,
  ) {
    this.markAt = clock.now();
    this.lastInteractionAt = this.markAt;
    this.visible = visible;
  }

  /** Credits the time since the last mark; between marks visibility and last interaction are constant. */
  private settle(): number {
    const now = this.clock.now();
    if (this.visible && !this.paused) {
      const activeUntil = Math.min(now, this.lastInteractionAt + this.idleAfterMs);
      this.accumulatedMs += Math.max(0, activeUntil - this.markAt);
    }
    this.markAt = Math.max(this.markAt, now);
    return now;
  }

  interaction(): void {
    this.lastInteractionAt = this.settle();
  }

  visibility(visible: boolean): void {
    const now = this.settle();
    this.visible = visible;
    // Coming back to the page counts as interaction: the rater is looking again.
    if (visible) this.lastInteractionAt = now;
  }

  /** A break: time stops until resume(); coming back counts as interaction, like a visible page. */
  pause(): void {
    this.settle();
    this.paused = true;
  }

  resume(): void {
    this.lastInteractionAt = this.settle();
    this.paused = false;
  }

  get onBreak(): boolean {
    return this.paused;
  }

  elapsed(): number {
    this.settle();
    return Math.round(this.accumulatedMs);
  }

  /** Starts a new item's clock (showing an item follows an interaction: submit, skip or undo). */
  reset(): void {
    const now = this.clock.now();
    this.accumulatedMs = 0;
    this.markAt = now;
    this.lastInteractionAt = now;
  }
}
