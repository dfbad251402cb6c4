/** Milliseconds since the epoch. One function so tests can see every clock read in one place. */
export const nowMs = (): number => Date.now();

/** A pending one-shot timer from a Clock. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Where leases, the lease-expiry timer and event coalescing get the time. The open project carries
 * one (`project.clock`), so a test can hand in a clock it moves by hand (tests/helpers/clock.ts)
 * and see a lease run out without sleeping (issue 12: tests that do not race the clock).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `callback` once, `ms` from now. The timer never keeps the process alive: a finished CLI
   * command or a closing server must be free to exit with a lease or an announcement pending.
   */
  setTimer(callback: () => void, ms: number): ClockTimer;
}

export const systemClock: Clock = {
  now: nowMs,
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
