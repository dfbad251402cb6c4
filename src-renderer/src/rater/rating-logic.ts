// The rater's answer form as pure functions over a small state value, so the keyboard rules are
// unit-testable without a DOM or the Svelte compiler. `rating-form.svelte.ts` wraps it in runes.
import type {
  Answer,
  AnswerValue,
  RaterCompletion,
  RaterProgress,
  RaterSession,
  ShownQuestion,
} from '../../../src-main/contract';

export type { AnswerValue };

export interface FormState {
  /** Index of the highlighted question (the one digits answer). */
  active: number;
  answers: Record<string, AnswerValue>;
  /**
   * Multi-select questions the rater was told have nothing ticked (issue 15): a stray Enter must not
   * send "none of these", so the first Enter stops on such a question and the next one submits.
   */
  emptyAsked?: string[];
}

export const initialFormState = (): FormState => ({ active: 0, answers: {} });

/** Keys the rater workspace keeps for itself; templates may not bind them (contract/templates.ts). */
export const RESERVED_KEYS = ['s', 'f', '?'];

/** The values the option keys pick, in shown order: choice/multi options, or min..max of a scale. */
export function optionValues(question: ShownQuestion): (string | number)[] {
  if (question.type === 'choice' || question.type === 'multi') return question.options.map((option) => option.value);
  if (question.type === 'scale') {
    const values: number[] = [];
    for (let value = question.min; value <= question.max; value++) values.push(value);
    return values;
  }
  return [];
}

/** The key bound to each option, in shown order: the template's keys, else digits 1–9 by position. */
export function optionKeys(question: ShownQuestion): string[] {
  const count = optionValues(question).length;
  const given = question.type === 'choice' || question.type === 'multi' ? question.keys : [];
  return Array.from({ length: count }, (_, index) => given?.[index] ?? (index < 9 ? String(index + 1) : ''));
}

export function isAnswered(question: ShownQuestion, value: AnswerValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (question.type === 'text') return typeof value === 'string' && value.trim().length > 0;
  if (question.type === 'multi') return Array.isArray(value) && value.length > 0;
  return true;
}

/** Whether an option value is (one of) the current answer. */
export function isChosen(value: AnswerValue | undefined, option: string | number): boolean {
  return Array.isArray(value) ? value.includes(String(option)) : value === option;
}

const clampIndex = (questions: readonly ShownQuestion[], index: number) =>
  Math.max(0, Math.min(index, questions.length - 1));

export function focusQuestion(questions: readonly ShownQuestion[], state: FormState, index: number): FormState {
  return { ...state, active: clampIndex(questions, index) };
}

/** Moves the highlight to the next question (it stays on the last one). */
export function advance(questions: readonly ShownQuestion[], state: FormState): FormState {
  return focusQuestion(questions, state, state.active + 1);
}

export function retreat(questions: readonly ShownQuestion[], state: FormState): FormState {
  return focusQuestion(questions, state, state.active - 1);
}

/**
 * Picks the option at `optionIndex` (0-based) of question `questionIndex`. A single choice or a
 * scale point answers the question and advances past it; a multi-select option toggles and stays.
 */
export function choose(
  questions: readonly ShownQuestion[],
  state: FormState,
  questionIndex: number,
  optionIndex: number,
): FormState {
  const question = questions[questionIndex];
  if (!question) return state;
  const value = optionValues(question)[optionIndex];
  if (value === undefined) return state;
  if (question.type === 'multi') {
    const before = state.answers[question.id];
    const chosen = Array.isArray(before) ? before : [];
    const toggled = chosen.includes(String(value))
      ? chosen.filter((entry) => entry !== value)
      : [...chosen, String(value)];
    // Keep the shown order, so the stored list does not depend on the click order.
    const ordered = question.options.map((option) => option.value).filter((option) => toggled.includes(option));
    return { ...state, active: questionIndex, answers: { ...state.answers, [question.id]: ordered } };
  }
  const answered = { ...state, active: questionIndex, answers: { ...state.answers, [question.id]: value } };
  return advance(questions, answered);
}

/** The key that starts a break (the workspace's, unless the active question binds it to an option). */
export const BREAK_KEY = 'b';

/**
 * Whether `b` means "take a break" here: only when the highlighted question has no option bound to
 * it (a template may bind letters; an answer key always wins over a workspace key).
 */
export function breakKeyFree(questions: readonly ShownQuestion[], state: FormState): boolean {
  const question = questions[state.active];
  return !question || !optionKeys(question).includes(BREAK_KEY);
}

/** An option key (a digit, or a letter the template bound) on the active question; null when it means nothing there. */
export function pressKey(questions: readonly ShownQuestion[], state: FormState, key: string): FormState | null {
  const question = questions[state.active];
  if (!question || question.type === 'text' || key === '') return null;
  const optionIndex = optionKeys(question).indexOf(key);
  return optionIndex === -1 ? null : choose(questions, state, state.active, optionIndex);
}

/** Digit n picks the n-th option (choice) or value min+n-1 (scale) of the active question. */
export const pressDigit = (questions: readonly ShownQuestion[], state: FormState, digit: number): FormState | null =>
  pressKey(questions, state, String(digit));

export function setText(
  questions: readonly ShownQuestion[],
  state: FormState,
  questionIndex: number,
  text: string,
): FormState {
  const question = questions[questionIndex];
  if (!question || question.type !== 'text') return state;
  return { ...state, answers: { ...state.answers, [question.id]: text } };
}

/** Index of the first required question without an answer, or -1 when the form may be submitted. */
export function firstUnanswered(questions: readonly ShownQuestion[], state: FormState): number {
  return questions.findIndex((question) => question.required && !isAnswered(question, state.answers[question.id]));
}

export const isComplete = (questions: readonly ShownQuestion[], state: FormState): boolean =>
  firstUnanswered(questions, state) === -1;

/** Whether the page is showing "nothing is ticked" on this multi-select (after an Enter that did not submit). */
export function emptyAsked(question: ShownQuestion, state: FormState): boolean {
  return (
    question.type === 'multi' &&
    (state.emptyAsked ?? []).includes(question.id) &&
    !isAnswered(question, state.answers[question.id])
  );
}

/**
 * Enter: submit when every required question is answered, otherwise go to the first gap. A
 * multi-select with nothing ticked is a gap once: Enter stops there and says so, and the next
 * Enter submits "none of these" (an empty list is a real answer, but not one to give by accident).
 */
export function pressEnter(
  questions: readonly ShownQuestion[],
  state: FormState,
): { state: FormState; submit: boolean } {
  const gap = firstUnanswered(questions, state);
  if (gap !== -1) return { state: focusQuestion(questions, state, gap), submit: false };
  const asked = state.emptyAsked ?? [];
  const unticked = questions.findIndex(
    (question) =>
      question.type === 'multi' && !isAnswered(question, state.answers[question.id]) && !asked.includes(question.id),
  );
  if (unticked === -1) return { state, submit: true };
  const flagged = { ...state, emptyAsked: [...asked, questions[unticked].id] };
  return { state: focusQuestion(questions, flagged, unticked), submit: false };
}

/** Enter inside a text answer: advances, or acts as Enter on the last question. */
export function pressEnterInText(
  questions: readonly ShownQuestion[],
  state: FormState,
): { state: FormState; submit: boolean } {
  if (state.active >= questions.length - 1) return pressEnter(questions, state);
  return { state: advance(questions, state), submit: false };
}

/**
 * The form as it was when an answer was submitted: after an undo the item comes back with the
 * rater's previous answer selected (issue 15). Values that no longer fit a question are dropped.
 */
export function stateFromAnswer(questions: readonly ShownQuestion[], answer: Answer | null | undefined): FormState {
  const answers: Record<string, AnswerValue> = {};
  for (const question of questions) {
    const value = answer?.[question.id];
    if (value === undefined || value === null) continue;
    const allowed = optionValues(question);
    if (question.type === 'text') {
      if (typeof value === 'string') answers[question.id] = value;
    } else if (question.type === 'multi') {
      if (Array.isArray(value)) answers[question.id] = value.filter((entry) => allowed.includes(entry));
    } else if (allowed.includes(value as string | number)) answers[question.id] = value;
  }
  return { active: 0, answers };
}

/**
 * The answer record sent to rater.submit: every question id; unanswered ones null, except a
 * multi-select, whose empty list is an answer ("none of these"); text trimmed.
 */
export function answerRecord(questions: readonly ShownQuestion[], state: FormState): Answer {
  const answer: Answer = {};
  for (const question of questions) {
    const value = state.answers[question.id];
    if (question.type === 'multi') answer[question.id] = Array.isArray(value) ? [...value] : [];
    else if (!isAnswered(question, value)) answer[question.id] = null;
    else answer[question.id] = typeof value === 'string' ? value.trim() : (value as AnswerValue);
  }
  return answer;
}

// ---- Keyboard map ----------------------------------------------------------------------------

export type KeyAction =
  | { type: 'optionKey'; key: string }
  | { type: 'enter' }
  | { type: 'enterInText' }
  | { type: 'next' }
  | { type: 'previous' }
  | { type: 'undo' }
  | { type: 'skip' }
  | { type: 'flag' }
  | { type: 'help' }
  | { type: 'escape' };

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
  /** True when focus is in a text field (typing goes there). */
  inTextField: boolean;
  /**
   * True when focus is on a button or link other than an answer option or Submit (Instructions,
   * Skip, …): Enter and Space activate it, as they do everywhere else.
   */
  onControl?: boolean;
}

/**
 * What a key press means on the rating screen; null lets the browser handle it. Tab is never taken
 * (issue 15): it walks the options, Submit and Instructions as on any page, for keyboard and
 * screen-reader users; the next question is ↓ or `]`, the previous ↑ or `[`.
 */
export function keyAction(press: KeyPress): KeyAction | null {
  const command = press.ctrlKey || press.metaKey;
  if (press.inTextField) {
    if (press.key === 'Enter' && !command) return { type: 'enterInText' };
    if (press.key === 'Escape') return { type: 'escape' };
    return null; // typing, including Backspace and the field's own Ctrl+Z
  }
  if (command) return press.key.toLowerCase() === 'z' && !press.shiftKey ? { type: 'undo' } : null;
  if (press.altKey || press.key === 'Tab') return null;
  if (press.onControl && (press.key === 'Enter' || press.key === ' ')) return null;
  switch (press.key) {
    case 'Enter':
      return { type: 'enter' };
    case 'Backspace':
      return { type: 'undo' };
    case 's':
      return { type: 'skip' };
    case 'f':
      return { type: 'flag' };
    case '?':
      return { type: 'help' };
    case 'Escape':
      return { type: 'escape' };
    case 'ArrowDown':
    case ']':
      return { type: 'next' };
    case 'ArrowUp':
    case '[':
      return { type: 'previous' };
    default:
      // Digits, or letters a template bound to options (the form decides whether one applies).
      return /^[a-z0-9]$/.test(press.key) ? { type: 'optionKey', key: press.key } : null;
  }
}

// ---- Session rules -----------------------------------------------------------------------------

/**
 * Whether the rater may take back an answer (the server refuses too, issue 11): not in the
 * qualification round (its answers are scored as given, and the verdict comes only at its end),
 * and not once a Prolific code was given (the answers it pays for are final).
 */
export function undoAllowed(session: Pick<RaterSession, 'qualification' | 'completion'> | null): boolean {
  if (!session) return false;
  if (session.completion) return false;
  return !session.qualification || session.qualification.passed === true;
}

/**
 * Whether Skip (and `s`) is offered, and what its button says. The server refuses a skip in the
 * qualification round and past the campaign's bound (issue 11: the Prolific code pays for answers),
 * so the page says so up front rather than after a refused click.
 */
export function skipState(
  progress: RaterProgress,
  qualifying: boolean,
): { allowed: boolean; label: string; reason: string | null } {
  const left = progress.skipsLeft;
  const label = left === undefined ? 'Skip (s)' : `Skip (s) · ${left === 0 ? 'none' : left} left`;
  if (qualifying) return { allowed: false, label, reason: 'Qualification items cannot be skipped' };
  if (left === 0)
    return { allowed: false, label, reason: 'You have used the skips this study allows; answer this item to go on' };
  return { allowed: true, label, reason: null };
}

/** What the last screen says: the server's code when it gave one, else why there is nothing more. */
export type FinishScreen =
  | { kind: 'completed'; code: string; url: string }
  | { kind: 'screened-out'; code: string | null; url: string | null }
  /** Everything available was answered; the campaign hands out no code. */
  | { kind: 'done' }
  /** Nothing was available to this rater at all (e.g. the study filled up before they came). */
  | { kind: 'nothing' };

export function finishScreen(completion: RaterCompletion | null, submitted: number): FinishScreen {
  if (completion?.outcome === 'screened-out')
    return { kind: 'screened-out', code: completion.code, url: completion.url };
  if (completion?.code && completion.url) return { kind: 'completed', code: completion.code, url: completion.url };
  return submitted > 0 ? { kind: 'done' } : { kind: 'nothing' };
}
