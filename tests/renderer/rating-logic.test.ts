import { describe, expect, it } from 'vitest';
import {
  answerRecord,
  breakKeyFree,
  choose,
  emptyAsked,
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
  stateFromAnswer,
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

describe('an unticked multi-select (issue 15)', () => {
  const activating = choiceQuestion('activating', ['e1', 'e2', 'e3'], { multi: true, required: false });

  it('stops the first Enter there and says so; the second Enter submits "none of these"', () => {
    const first = pressEnter([activating], initialFormState());
    expect(first.submit).toBe(false);
    expect(emptyAsked(activating, first.state)).toBe(true);
    const second = pressEnter([activating], first.state);
    expect(second.submit).toBe(true);
    expect(answerRecord([activating], second.state)).toEqual({ activating: [] });
  });

  it('submits at once when something is ticked, and asks about each unticked multi-select in turn', () => {
    const ticked = choose([activating], initialFormState(), 0, 1);
    expect(pressEnter([activating], ticked)).toEqual({ state: ticked, submit: true });
    const other = choiceQuestion('others', ['x', 'y'], { multi: true, required: false });
    const both = [concept, activating, other];
    const answered = choose(both, initialFormState(), 0, 0);
    const first = pressEnter(both, answered);
    expect([first.submit, first.state.active]).toEqual([false, 1]);
    const second = pressEnter(both, first.state);
    expect([second.submit, second.state.active]).toEqual([false, 2]);
    expect(pressEnter(both, second.state).submit).toBe(true);
  });

  it('asks no more once an option is ticked, and Enter in the last text field follows the same rule', () => {
    const asked = pressEnter([activating], initialFormState()).state;
    expect(emptyAsked(activating, choose([activating], asked, 0, 0))).toBe(false);
    const note = textQuestion('note', false);
    const form = [activating, note];
    expect(pressEnterInText(form, { active: 1, answers: {} }).submit).toBe(false);
  });
});

describe('undo brings the previous answer back (issue 15)', () => {
  it('selects the choice, scale point, ticks and text the rater had given', () => {
    const multi = choiceQuestion('activating', ['e1', 'e2', 'e3'], { multi: true, required: false });
    const form = [concept, coherence, comment, multi];
    const state = stateFromAnswer(form, { concept: 'dog', coherence: 4, comment: 'fine', activating: ['e1', 'e3'] });
    expect(state).toEqual({
      active: 0,
      answers: { concept: 'dog', coherence: 4, comment: 'fine', activating: ['e1', 'e3'] },
    });
    expect(isComplete(form, state)).toBe(true);
  });

  it('drops values that are not options of the question as shown, and nulls', () => {
    const multi = choiceQuestion('activating', ['e1', 'e2'], { multi: true, required: false });
    const form = [concept, coherence, comment, multi];
    expect(
      stateFromAnswer(form, { concept: 'horse', coherence: 9, comment: null, activating: ['e2', 'e7'] }).answers,
    ).toEqual({ activating: ['e2'] });
    expect(stateFromAnswer(form, null)).toEqual(initialFormState());
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
    expect(outside(']')).toEqual({ type: 'next' });
    expect(outside('ArrowDown')).toEqual({ type: 'next' });
    expect(outside('[')).toEqual({ type: 'previous' });
    expect(outside('ArrowUp')).toEqual({ type: 'previous' });
    expect(outside('c', { ctrlKey: true })).toBeNull();
    expect(outside('F5')).toBeNull();
  });

  it('never takes Tab (issue 15: it walks the options, Submit and Instructions)', () => {
    expect(outside('Tab')).toBeNull();
    expect(outside('Tab', { shiftKey: true })).toBeNull();
    expect(inside('Tab')).toBeNull();
  });

  it('leaves Enter and Space to a focused button that is not an answer (Instructions, Skip)', () => {
    expect(outside('Enter', { onControl: true })).toBeNull();
    expect(outside(' ', { onControl: true })).toBeNull();
    expect(outside('Enter')).toEqual({ type: 'enter' });
    // Answer and command keys still work from there.
    expect(outside('2', { onControl: true })).toEqual({ type: 'optionKey', key: '2' });
    expect(outside('Backspace', { onControl: true })).toEqual({ type: 'undo' });
  });

  it('lets typing through in text fields, except Enter and Escape', () => {
    expect(inside('s')).toBeNull();
    expect(inside('3')).toBeNull();
    expect(inside('Backspace')).toBeNull();
    expect(inside('z', { ctrlKey: true })).toBeNull();
    expect(inside('Enter')).toEqual({ type: 'enterInText' });
    expect(inside(']')).toBeNull();
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
