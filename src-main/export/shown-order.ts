// The compact record of what a rater saw: per choice/multi question, the option values in the
// order shown, and for pair displays the fields left to right. Written with each submission
// (judgements.shown_order, migration 0003) so exports read ~60 bytes per judgement instead of
// parsing the ~500-byte shown_json; together with the payload and the template's questions (in
// every provenance manifest) it reconstructs the rater's screen. Pure: the store imports it.

export interface ShownJson {
  questions?: { id: string; type: string; options?: { value: string }[] }[];
  pairs?: { fields: string[]; swapped: boolean }[];
}

/**
 * The option values in the order the rater saw them, per choice/multi question, e.g.
 * {"concept":["volcano","goldfish",...]}; for pair displays, "@pairs" lists the fields left to right.
 */
export function shownOrder(shown: ShownJson | null): Record<string, string[] | string[][]> {
  const order: Record<string, string[] | string[][]> = {};
  for (const question of shown?.questions ?? []) {
    if ((question.type === 'choice' || question.type === 'multi') && question.options) order[question.id] = question.options.map((option) => option.value);
  }
  if (shown?.pairs?.length) order['@pairs'] = shown.pairs.map((pair) => (pair.swapped ? [pair.fields[1], pair.fields[0]] : [pair.fields[0], pair.fields[1]]));
  return order;
}

/** The text stored in judgements.shown_order and written by every export. */
export const shownOrderJson = (shown: ShownJson | null): string => JSON.stringify(shownOrder(shown));
