import { describe, expect, it } from 'vitest';
import {
  attentionText,
  completionText,
  conditionCells,
  expiryText,
  formatDuration,
  goldText,
  qualificationText,
  raterSpread,
} from '../../src-renderer/src/researcher/monitor/monitor-logic';
import { rateAs, researcherReturnHref } from '../../src-renderer/src/lib/rater-switch';

describe('monitor formatting', () => {
  it('formats active times and lease expiries', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(1830)).toBe('1.8 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(2 * 3600_000 + 60_000)).toBe('2 h 1 min');
    expect(expiryText(null, 0)).toBe('–');
    expect(expiryText(1000, 2000)).toBe('now');
    expect(expiryText(65_000, 5_000)).toBe('in 1 min 0 s');
  });

  it('says which Prolific code a rater was given and when (UTC, so every researcher reads the same time)', () => {
    expect(completionText(null)).toBe('–');
    expect(completionText({ outcome: 'completed', shownAt: Date.parse('2025-03-01T12:34:56Z') })).toBe(
      'completion code, 2025-03-01 12:34 UTC',
    );
    expect(completionText({ outcome: 'screened-out', shownAt: Date.parse('2025-03-02T08:05:00Z') })).toBe(
      'screen-out, 2025-03-02 08:05 UTC',
    );
  });

  it('states quality control counts plainly', () => {
    expect(goldText({ answered: 0, correct: 0, accuracy: null })).toBe('–');
    expect(goldText({ answered: 4, correct: 3, accuracy: 0.75 })).toBe('75% (3/4)');
    expect(attentionText({ answered: 2, failed: 1 })).toBe('1 of 2 failed');
    expect(qualificationText(null)).toBe('–');
    expect(qualificationText({ required: 5, answered: 5, correct: 4, passed: true })).toBe('passed (4/5 of 5)');
    expect(qualificationText({ required: 5, answered: 2, correct: 2, passed: null })).toBe('in progress (2/2 of 5)');
  });

  it('lists per-condition counts in campaign order, zero for unseen ones', () => {
    expect(conditionCells(['k=0', 'k=5', 'k=10'], { 'k=5': 2, 'k=0': 3 })).toEqual([
      { condition: 'k=0', count: 3 },
      { condition: 'k=5', count: 2 },
      { condition: 'k=10', count: 0 },
    ]);
    expect(raterSpread(['k=0', 'k=5', 'k=10'], { 'k=5': 2, 'k=0': 3 })).toBe(3);
    expect(raterSpread([], {})).toBe(0);
  });
});

describe('rating as a local rater profile', () => {
  const memory = () => {
    const values = new Map<string, string>();
    return {
      getItem: (key: string) => values.get(key) ?? null,
      setItem: (key: string, value: string) => void values.set(key, value),
    };
  };

  it('opens the rater link in this window and comes back to the page it left', () => {
    const storage = memory();
    storage.setItem('sightline.token.researcher', 'researcher-token');
    const assigned: string[] = [];
    rateAs('/rate?token=abc', {
      location: { hash: '#/campaign/4', assign: (url: string | URL) => void assigned.push(String(url)) },
      storage,
    });
    expect(assigned).toEqual(['/rate?token=abc']);
    expect(researcherReturnHref(storage, false)).toBe('/#/campaign/4');
  });

  it('gives a LAN rater (no researcher token) no way to the researcher view', () => {
    expect(researcherReturnHref(memory(), false)).toBeNull();
  });

  it("gives a desktop rater window no link to the researcher view: it is the rater's own window", () => {
    const storage = memory();
    storage.setItem('sightline.researcherReturn', '#/campaign/4');
    expect(researcherReturnHref(storage, true)).toBeNull();
  });
});
