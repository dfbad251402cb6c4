// The page's clock, injected where the rater's time matters (the active-time tracker, the waiting
// screen's retry) so a unit test can hand in a clock it moves by hand (issue 12). The same shape as
// src-main/util/time.ts's Clock (the renderer imports only the contract from src-main, so the
// interface is declared once per side); tests/helpers/clock.ts's TestClock fits both.

/** A pending one-shot timer. */
export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds; in the page a monotonic count (performance.now), so only differences mean anything. */
  now(): number;
  /** Calls `callback` once, `ms` from now. */
  setTimer(callback: () => void, ms: number): ClockTimer;
}

/**
 * performance.now, not Date.now: active time must not jump when the computer's clock is set. Read
 * at each call, so Playwright's page.clock (which replaces both) controls it in the e2e tests.
 */
export const pageClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};
