import { describe, expect, it } from 'vitest';
import {
  answerRecord,
  breakKeyFree,
  choose,
  finishScreen,
  skipState,
  undoAllowed,
  firstUnanswered,
  initialFormState,
  isComplete,
  keyAction,
  optionKeys,
  pressDigit,
  pressEnter,
  pressEnterInText,
  pressKey,
  setText,
  type FormState,
} from '../../src-renderer/src/rater/rating-logic';
import { choiceQuestion, scaleQuestion, textQuestion } from './factories';

const concept = choiceQuestion('concept', ['cat', 'dog', 'car', 'none']);
const coherence = scaleQuestion('coherence', 1, 5);
const comment = textQuestion('comment', false);
const questions = [concept, coherence, comment];

describe('digit selection', () => {
  it('picks the n-th option of the active choice question and advances', () => {
    const state = pressDigit(questions, initialFormState(), 2)!;
    expect(state.answers.concept).toBe('dog');
    expect(state.active).toBe(1);
  });

  it('maps key n to min+n-1 on a scale', () => {
    const zeroBased = scaleQuestion('z', 0, 4);
    expect(pressDigit([zeroBased], initialFormState(), 1)!.answers.z).toBe(0);
    const onAScale = pressDigit(questions, { active: 1, answers: {} }, 5)!;
    expect(onAScale.answers.coherence).toBe(5);
    expect(onAScale.active).toBe(2);
  });

  it('ignores digits beyond the options, and digits on a text question', () => {
    expect(pressDigit(questions, initialFormState(), 5)).toBeNull();
    expect(pressDigit(questions, { active: 1, answers: {} }, 6)).toBeNull();
    expect(pressDigit(questions, { active: 2, answers: {} }, 1)).toBeNull();
  });

  it('re-answering a question replaces the answer', () => {
    let state = pressDigit(questions, initialFormState(), 1)!;
    state = pressDigit(questions, { ...state, active: 0 }, 3)!;
    expect(state.answers.concept).toBe('car');
  });

  it('uses template keys when given', () => {
    const lettered = choiceQuestion('side', ['left', 'right', 'tie'], { keys: ['a', 'b', 't'] });
    expect(optionKeys(lettered)).toEqual(['a', 'b', 't']);
    expect(pressKey([lettered], initialFormState(), 't')!.answers.side).toBe('tie');
    expect(pressKey([lettered], initialFormState(), '1')).toBeNull();
  });

  it('toggles multi-select options in shown order without advancing', () => {
    const multi = choiceQuestion('activating', ['e3', 'e1', 'e2'], { multi: true, required: false });
    let state = pressKey([multi, coherence], initialFormState(), '3')!;
    state = pressKey([multi, coherence], state, '1')!;
    expect(state.answers.activating).toEqual(['e3', 'e2']);
    expect(state.active).toBe(0);
    state = pressKey([multi, coherence], state, '3')!;
    expect(state.answers.activating).toEqual(['e3']);
  });
});

describe('advance, required check and submit readiness', () => {
  it('stays on the last question after answering it', () => {
    const state = choose([concept], initialFormState(), 0, 0);
    expect(state.active).toBe(0);
  });

  it('is complete only when every required question has an answer', () => {
    let state: FormState = initialFormState();
    expect(isComplete(questions, state)).toBe(false);
    expect(firstUnanswered(questions, state)).toBe(0);
    state = pressDigit(questions, state, 1)!;
    expect(firstUnanswered(questions, state)).toBe(1);
    state = pressDigit(questions, state, 3)!;
    expect(isComplete(questions, state)).toBe(true); // the text comment is optional
  });

  it('Enter submits when ready, otherwise moves to the first unanswered question', () => {
    const partial: FormState = { active: 2, answers: { coherence: 4 } };
    const blocked = pressEnter(questions, partial);
    expect(blocked.submit).toBe(false);
    expect(blocked.state.active).toBe(0);
    const ready: FormState = { active: 1, answers: { concept: 'cat', coherence: 4 } };
    expect(pressEnter(questions, ready).submit).toBe(true);
  });

  it('a required text question needs non-blank text', () => {
    const label = textQuestion('label');
    expect(isComplete([label], setText([label], initialFormState(), 0, '   '))).toBe(false);
    expect(isComplete([label], setText([label], initialFormState(), 0, 'cats'))).toBe(true);
  });

  it('Enter in a text field advances, and submits from the last question', () => {
    const label = textQuestion('label');
    const form = [label, coherence];
    const typed = setText(form, initialFormState(), 0, 'cats');
    expect(pressEnterInText(form, typed)).toEqual({ state: { ...typed, active: 1 }, submit: false });
    const last = setText([concept, label], { active: 1, answers: { concept: 'cat' } }, 1, 'x');
    expect(pressEnterInText([concept, label], last).submit).toBe(true);
  });

  it('builds the answer record with every question, nulls for gaps and trimmed text', () => {
    const multi = choiceQuestion('activating', ['a', 'b'], { multi: true, required: false });
    const state: FormState = { active: 0, answers: { concept: 'dog', comment: '  fine  ' } };
    expect(answerRecord([...questions, multi], state)).toEqual({
      concept: 'dog',
      coherence: null,
      comment: 'fine',
      activating: [],
    });
  });
});

describe('keyboard map', () => {
  const outside = (key: string, extra: object = {}) => keyAction({ key, inTextField: false, ...extra });
  const inside = (key: string, extra: object = {}) => keyAction({ key, inTextField: true, ...extra });

  it('maps the rating keys outside text fields', () => {
    expect(outside('3')).toEqual({ type: 'optionKey', key: '3' });
    expect(outside('Enter')).toEqual({ type: 'enter' });
    expect(outside('Backspace')).toEqual({ type: 'undo' });
    expect(outside('z', { ctrlKey: true })).toEqual({ type: 'undo' });
    expect(outside('z', { metaKey: true })).toEqual({ type: 'undo' });
    expect(outside('s')).toEqual({ type: 'skip' });
    expect(outside('f')).toEqual({ type: 'flag' });
    expect(outside('?')).toEqual({ type: 'help' });
    expect(outside('Tab')).toEqual({ type: 'next' });
    expect(outside('Tab', { shiftKey: true })).toEqual({ type: 'previous' });
    expect(outside('c', { ctrlKey: true })).toBeNull();
    expect(outside('F5')).toBeNull();
  });

  it('lets typing through in text fields, except Enter, Tab and Escape', () => {
    expect(inside('s')).toBeNull();
    expect(inside('3')).toBeNull();
    expect(inside('Backspace')).toBeNull();
    expect(inside('z', { ctrlKey: true })).toBeNull();
    expect(inside('Enter')).toEqual({ type: 'enterInText' });
    expect(inside('Tab')).toEqual({ type: 'next' });
    expect(inside('Escape')).toEqual({ type: 'escape' });
  });
});

describe('the break key', () => {
  it('is free unless the highlighted question binds b to an option', () => {
    const lettered = choiceQuestion('side', ['a', 'b'], { keys: ['a', 'b'] });
    const questions = [lettered, coherence];
    expect(breakKeyFree(questions, initialFormState())).toBe(false);
    expect(breakKeyFree(questions, { active: 1, answers: {} })).toBe(true);
    expect(breakKeyFree([concept], initialFormState())).toBe(true);
    expect(breakKeyFree([], initialFormState())).toBe(true);
  });
});

describe('session rules on the rater page (issue 11)', () => {
  const round = (answered: number, passed: boolean | null) => ({ required: 2, answered, passed });

  it('offers undo only outside the qualification round and before a Prolific code was given', () => {
    expect(undoAllowed(null)).toBe(false);
    expect(undoAllowed({ qualification: null, completion: null })).toBe(true);
    expect(undoAllowed({ qualification: round(1, null), completion: null })).toBe(false);
    expect(undoAllowed({ qualification: round(2, false), completion: null })).toBe(false);
    expect(undoAllowed({ qualification: round(2, true), completion: null })).toBe(true);
    expect(undoAllowed({ qualification: null, completion: { outcome: 'completed', code: 'C', url: 'u' } })).toBe(false);
  });

  it('shows the code the server gave, the screen-out code when the rater failed, and no code otherwise', () => {
    expect(
      finishScreen(
        { outcome: 'completed', code: 'PAID', url: 'https://app.prolific.com/submissions/complete?cc=PAID' },
        3,
      ),
    ).toEqual({
      kind: 'completed',
      code: 'PAID',
      url: 'https://app.prolific.com/submissions/complete?cc=PAID',
    });
    expect(finishScreen({ outcome: 'screened-out', code: 'OUT', url: 'u' }, 3)).toEqual({
      kind: 'screened-out',
      code: 'OUT',
      url: 'u',
    });
    expect(finishScreen({ outcome: 'screened-out', code: null, url: null }, 3)).toEqual({
      kind: 'screened-out',
      code: null,
      url: null,
    });
    // No code from the server: nothing to show, whatever the rater did.
    expect(finishScreen(null, 3)).toEqual({ kind: 'done' });
    expect(finishScreen(null, 0)).toEqual({ kind: 'nothing' });
  });
});

describe('skips left (issue 11: a campaign may bound skips per rater)', () => {
  it('offers Skip while skips are left and not in the qualification round; says how many are left', () => {
    expect(skipState({ submitted: 0, total: 5 }, false)).toEqual({ allowed: true, label: 'Skip (s)', reason: null });
    expect(skipState({ submitted: 1, total: 5, skipsLeft: 2 }, false)).toEqual({
      allowed: true,
      label: 'Skip (s) · 2 left',
      reason: null,
    });
    expect(skipState({ submitted: 1, total: 5, skipsLeft: 1 }, false)).toEqual({
      allowed: true,
      label: 'Skip (s) · 1 left',
      reason: null,
    });
    expect(skipState({ submitted: 1, total: 5, skipsLeft: 0 }, false)).toEqual({
      allowed: false,
      label: 'Skip (s) · none left',
      reason: 'You have used the skips this study allows; answer this item to go on',
    });
    expect(skipState({ submitted: 0, total: 5, skipsLeft: 2 }, true)).toMatchObject({
      allowed: false,
      reason: 'Qualification items cannot be skipped',
    });
  });
});
