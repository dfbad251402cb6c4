// Reactive wrapper around the pure rating logic: one instance per shown item.
import type { Answer, ShownQuestion } from '../../../src-main/contract';
import * as logic from './rating-logic';

export class RatingForm {
  readonly questions: readonly ShownQuestion[];
  state = $state<logic.FormState>(logic.initialFormState());

  /** `previous`: the answer an undo took back, selected again so the rater changes only what they meant to. */
  constructor(questions: readonly ShownQuestion[], previous: Answer | null = null) {
    this.questions = questions;
    if (previous) this.state = logic.stateFromAnswer(questions, previous);
  }

  /** The page is asking whether this unticked multi-select really means "none of these". */
  emptyAsked(question: ShownQuestion): boolean {
    return logic.emptyAsked(question, this.state);
  }

  /** Every required question answered: Enter submits. */
  get complete(): boolean {
    return logic.isComplete(this.questions, this.state);
  }

  get active(): number {
    return this.state.active;
  }

  value(questionId: string): logic.AnswerValue | undefined {
    return this.state.answers[questionId];
  }

  focus(index: number): void {
    this.state = logic.focusQuestion(this.questions, this.state, index);
  }

  next(): void {
    this.state = logic.advance(this.questions, this.state);
  }

  previous(): void {
    this.state = logic.retreat(this.questions, this.state);
  }

  choose(questionIndex: number, optionIndex: number): void {
    this.state = logic.choose(this.questions, this.state, questionIndex, optionIndex);
  }

  /** An option key on the active question; false when it means nothing there. */
  key(key: string): boolean {
    const next = logic.pressKey(this.questions, this.state, key);
    if (next) this.state = next;
    return next !== null;
  }

  setText(questionIndex: number, text: string): void {
    this.state = logic.setText(this.questions, this.state, questionIndex, text);
  }

  /** Enter (or Enter in a text field): true when the form should be submitted now. */
  enter(inTextField = false): boolean {
    const result = inTextField
      ? logic.pressEnterInText(this.questions, this.state)
      : logic.pressEnter(this.questions, this.state);
    this.state = result.state;
    return result.submit;
  }

  answer(): Answer {
    return logic.answerRecord(this.questions, this.state);
  }
}
