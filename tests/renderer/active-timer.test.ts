import { describe, expect, it } from 'vitest';
import { ActiveTimer, IDLE_AFTER_MS } from '../../src-renderer/src/rater/active-timer';

describe('active time', () => {
  it('counts time while visible and recently interacted', () => {
    const timer = new ActiveTimer(0);
    timer.interaction(5_000);
    expect(timer.elapsed(10_000)).toBe(10_000);
  });

  it('stops counting 30 s after the last interaction', () => {
    const timer = new ActiveTimer(0);
    expect(timer.elapsed(100_000)).toBe(IDLE_AFTER_MS);
    timer.interaction(200_000);
    expect(timer.elapsed(210_000)).toBe(IDLE_AFTER_MS + 10_000);
  });

  it('does not count hidden time', () => {
    const timer = new ActiveTimer(0);
    timer.visibility(false, 4_000);
    timer.interaction(10_000);
    expect(timer.elapsed(20_000)).toBe(4_000);
    timer.visibility(true, 20_000);
    expect(timer.elapsed(25_000)).toBe(9_000);
  });

  it('starts from zero for each item', () => {
    const timer = new ActiveTimer(0);
    timer.reset(7_000);
    expect(timer.elapsed(8_000)).toBe(1_000);
  });
});

describe('active time on a break', () => {
  it('stops while on a break and restarts on return', () => {
    const timer = new ActiveTimer(0);
    timer.interaction(5_000);
    timer.pause(6_000);
    expect(timer.onBreak).toBe(true);
    timer.interaction(10_000); // moving the mouse on the break screen does not count
    expect(timer.elapsed(20_000)).toBe(6_000);
    timer.resume(100_000);
    expect(timer.onBreak).toBe(false);
    expect(timer.elapsed(104_000)).toBe(10_000);
  });
});
