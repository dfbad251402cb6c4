// The compact record of what a rater saw: per choice/multi question, the option values in the
// order shown, and for pair displays the fields left to right. Written with each submission
// (judgements.shown_order, migration 0003) so exports read ~60 bytes per judgement instead of
// parsing the ~500-byte shown_json; together with the payload and the template's questions (in
// every provenance manifest) it reconstructs the rater's screen. Pure, and in util/ because the store
// (writing it) and the export and results code (reading it) all import it.
//
// An order can be unknown: a results file imported from elsewhere may not say in which order its
// workers saw the options or the two sides of a pair (issue 11: inventing one changed which text
// ~40% of pairwise judgements preferred). Such a judgement's shown_json lists the unknown parts in
// `orderUnknown`; its shown order has null there, and is null as a whole when nothing is known.
// judgements.shown_order then holds the JSON text "null" (SQL NULL still means "derive it from
// shown_json", for rows written before migration 0003).

/** The key under which a shown order lists the pair displays' fields, left to right. */
export const PAIRS_KEY = '@pairs';

export interface ShownJson {
  questions?: { id: string; type: string; options?: { value: string }[] }[];
  pairs?: { fields: string[]; swapped: boolean }[];
  /** Question ids (and PAIRS_KEY) whose shown order is not known; absent when everything is. */
  orderUnknown?: string[];
}

export type ShownOrder = Record<string, string[] | string[][] | null>;

/**
 * The option values in the order the rater saw them, per choice/multi question, e.g.
 * {"concept":["volcano","goldfish",...]}; for pair displays, "@pairs" lists the fields left to
 * right. Unknown parts are null; null when no part is known.
 */
export function shownOrder(shown: ShownJson | null): ShownOrder | null {
  const unknown = new Set(shown?.orderUnknown ?? []);
  const order: ShownOrder = {};
  let known = 0;
  for (const question of shown?.questions ?? []) {
    if ((question.type !== 'choice' && question.type !== 'multi') || !question.options) continue;
    if (unknown.has(question.id)) order[question.id] = null;
    else {
      order[question.id] = question.options.map((option) => option.value);
      known++;
    }
  }
  if (unknown.has(PAIRS_KEY)) order[PAIRS_KEY] = null;
  else if (shown?.pairs?.length) {
    order[PAIRS_KEY] = shown.pairs.map((pair) =>
      pair.swapped ? [pair.fields[1], pair.fields[0]] : [pair.fields[0], pair.fields[1]],
    );
    known++;
  }
  return known === 0 && unknown.size > 0 ? null : order;
}

/** The text stored in judgements.shown_order and written by every export ("null" when unknown). */
export const shownOrderJson = (shown: ShownJson | null): string => JSON.stringify(shownOrder(shown));

/** Whether the rater's left/right sides are known (false for imports that did not record them). */
export const pairSidesKnown = (shown: ShownJson | null): boolean => !(shown?.orderUnknown ?? []).includes(PAIRS_KEY);
