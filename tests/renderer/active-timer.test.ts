// The rater's active time, driven by a clock the test moves by hand (issue 12: no sleeping, no wall time).
import { describe, expect, it } from 'vitest';
import { ActiveTimer, IDLE_AFTER_MS } from '../../src-renderer/src/rater/active-timer';
import { TestClock } from '../helpers/clock';

/** A timer on a fresh test clock, started at the clock's start (the item is shown). */
function started(visible = true) {
  const clock = new TestClock(0);
  return { clock, timer: new ActiveTimer(clock, visible) };
}

describe('active time', () => {
  it('counts time while visible and recently interacted', () => {
    const { clock, timer } = started();
    clock.advance(5_000);
    timer.interaction();
    clock.advance(5_000);
    expect(timer.elapsed()).toBe(10_000);
  });

  it('stops counting 30 s after the last interaction, and starts again on the next one', () => {
    const { clock, timer } = started();
    clock.advance(100_000);
    expect(timer.elapsed()).toBe(IDLE_AFTER_MS);
    clock.advance(100_000);
    timer.interaction();
    clock.advance(10_000);
    expect(timer.elapsed()).toBe(IDLE_AFTER_MS + 10_000);
  });

  it('does not count hidden time; coming back counts as interaction', () => {
    const { clock, timer } = started();
    clock.advance(4_000);
    timer.visibility(false);
    clock.advance(6_000);
    timer.interaction(); // a pointer event while hidden does not count
    clock.advance(10_000);
    expect(timer.elapsed()).toBe(4_000);
    timer.visibility(true);
    clock.advance(5_000);
    expect(timer.elapsed()).toBe(9_000);
  });

  it('a page hidden at start counts nothing until shown', () => {
    const { clock, timer } = started(false);
    clock.advance(50_000);
    expect(timer.elapsed()).toBe(0);
    timer.visibility(true);
    clock.advance(45_000); // idle after 30 s of no interaction, even while visible
    expect(timer.elapsed()).toBe(IDLE_AFTER_MS);
  });

  it('going idle, then hidden, then visible again: only the active stretches count', () => {
    const { clock, timer } = started();
    clock.advance(40_000); // idle from 30 s
    timer.visibility(false);
    clock.advance(60_000);
    timer.visibility(true);
    clock.advance(2_000);
    timer.interaction();
    clock.advance(3_000);
    expect(timer.elapsed()).toBe(IDLE_AFTER_MS + 5_000);
  });

  it('starts from zero for each item', () => {
    const { clock, timer } = started();
    clock.advance(7_000);
    timer.reset();
    clock.advance(1_000);
    expect(timer.elapsed()).toBe(1_000);
  });

  it('reading the elapsed time does not change it', () => {
    const { clock, timer } = started();
    clock.advance(3_000);
    expect(timer.elapsed()).toBe(3_000);
    expect(timer.elapsed()).toBe(3_000);
  });
});

describe('active time on a break', () => {
  it('stops while on a break and restarts on return', () => {
    const { clock, timer } = started();
    clock.advance(5_000);
    timer.interaction();
    clock.advance(1_000);
    timer.pause();
    expect(timer.onBreak).toBe(true);
    clock.advance(4_000);
    timer.interaction(); // moving the mouse on the break screen does not count
    clock.advance(10_000);
    expect(timer.elapsed()).toBe(6_000);
    clock.advance(80_000);
    timer.resume();
    expect(timer.onBreak).toBe(false);
    clock.advance(4_000);
    expect(timer.elapsed()).toBe(10_000);
  });
});
