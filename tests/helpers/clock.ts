// A clock the test moves by hand (issue 12: tests that do not race the clock). Hand it to
// makeProject({ clock }) and leases, the lease-expiry timer and progress announcements all go by it:
// advance(ms) moves time and runs, in time order, every timer that falls due on the way.
import type { Clock, ClockTimer } from '../../src-main/util/time';

interface Pending {
  at: number;
  order: number;
  callback: () => void;
}

/** A fixed, unremarkable start (2030-01-01), far from any real time a stray Date.now() would give. */
export const TEST_EPOCH_MS = Date.UTC(2030, 0, 1);

export class TestClock implements Clock {
  private pending: Pending[] = [];
  private scheduled = 0;

  constructor(private current = TEST_EPOCH_MS) {}

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, ms: number): ClockTimer {
    const entry: Pending = { at: this.current + Math.max(0, ms), order: this.scheduled++, callback };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((other) => other !== entry)) };
  }

  /** Timers waiting to fire (a test can check that nothing is armed). */
  get pendingTimers(): number {
    return this.pending.length;
  }

  /** When the next timer falls due, or null when none is armed. */
  get nextTimerAt(): number | null {
    return this.pending.length ? Math.min(...this.pending.map((entry) => entry.at)) : null;
  }

  /** Moves time forward by `ms`, firing each timer due by then at its own time (timers they arm included). */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    if (target < this.current) throw new Error(`TestClock: time does not go back (${target} < ${this.current})`);
    for (;;) {
      const due = this.pending
        .filter((entry) => entry.at <= target)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.pending = this.pending.filter((entry) => entry !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }
}
