// Active time per item, as DESIGN.md asks: time the page is visible and the rater has interacted
// within the last 30 s, not wall time. Pure (time is passed in) so it can be tested.

export const IDLE_AFTER_MS = 30_000;

export class ActiveTimer {
  private accumulatedMs = 0;
  private markAt: number;
  private lastInteractionAt: number;
  private visible: boolean;
  /** On a break (the rater pressed b): nothing counts until they come back. */
  private paused = false;

  constructor(now: number, visible = true, private readonly idleAfterMs = IDLE_AFTER_MS) {
    this.markAt = now;
    this.lastInteractionAt = now;
    this.visible = visible;
  }

  /** Credits the time since the last mark; between marks visibility and last interaction are constant. */
  private settle(now: number): void {
    if (this.visible && !this.paused) {
      const activeUntil = Math.min(now, this.lastInteractionAt + this.idleAfterMs);
      this.accumulatedMs += Math.max(0, activeUntil - this.markAt);
    }
    this.markAt = Math.max(this.markAt, now);
  }

  interaction(now: number): void {
    this.settle(now);
    this.lastInteractionAt = now;
  }

  visibility(visible: boolean, now: number): void {
    this.settle(now);
    this.visible = visible;
    // Coming back to the page counts as interaction: the rater is looking again.
    if (visible) this.lastInteractionAt = now;
  }

  /** A break: time stops until resume(); coming back counts as interaction, like a visible page. */
  pause(now: number): void {
    this.settle(now);
    this.paused = true;
  }

  resume(now: number): void {
    this.settle(now);
    this.paused = false;
    this.lastInteractionAt = now;
  }

  get onBreak(): boolean {
    return this.paused;
  }

  elapsed(now: number): number {
    this.settle(now);
    return Math.round(this.accumulatedMs);
  }

  /** Starts a new item's clock (showing an item follows an interaction: submit, skip or undo). */
  reset(now: number): void {
    this.accumulatedMs = 0;
    this.markAt = now;
    this.lastInteractionAt = now;
  }
}
