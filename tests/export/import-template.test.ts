// Which template import-results reads a file with when none is named: a question built from the
// data. Real results files can hold hundreds of thousands of judgements; the scale built from them
// must not depend on the JavaScript argument limit (Math.min(...values) overflowed the call stack
// past about 125,000 answers and ended the import as an internal error).
import { describe, expect, it } from 'vitest';
import { chooseTemplate } from '../../src-main/export/import/template';
import type { ResultRow, ResultsTable } from '../../src-main/export/import/table';

function table(rows: number, answer: (index: number) => unknown): ResultsTable {
  const resultRows: ResultRow[] = Array.from({ length: rows }, (_, index) => ({
    at: `line ${index + 1}`,
    itemKey: `item-${index % 50}`,
    rater: `rater-${index}`,
    answers: { stars: answer(index) },
    shownOrder: null,
    leasedAt: 0,
    submittedAt: 0,
    activeMs: 0,
    source: {},
  }));
  return {
    format: 'jsonl',
    file: '/data/results.jsonl',
    sha256: '0'.repeat(64),
    description: 'the JSONL results file',
    names: {
      answer: (id) => `answer.${id}`,
      shownOrder: 'shown_order',
      payloadPrefix: 'payload.',
      rater: 'rater',
      item: 'item',
      raterField: 'rater',
    },
    answerKeys: ['stars'],
    answerKeysComplete: true,
    payloadFields: ['text'],
    items: [],
    rows: resultRows,
    skipped: 0,
  };
}

describe('a template built from the data', () => {
  it('reads a whole-number answer column of 300,000 judgements as a scale from its minimum to its maximum', () => {
    const { template, inferred } = chooseTemplate(table(300_000, (index) => String(1 + (index % 7))));
    expect(inferred).toBe(true);
    expect(template.questions).toEqual([
      { id: 'stars', type: 'scale', prompt: 'stars', min: 1, max: 7, required: false },
    ]);
  });

  it('keeps negative and typed whole numbers in the range', () => {
    const { template } = chooseTemplate(table(10, (index) => (index === 3 ? -2 : index === 4 ? '12' : 5)));
    expect(template.questions[0]).toMatchObject({ type: 'scale', min: -2, max: 12 });
  });
});
