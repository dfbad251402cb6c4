import { describe, expect, it } from 'vitest';
import {
  cellText,
  defaultName,
  defaultSettingsForm,
  featureLabelText,
  fieldErrors,
  fieldOf,
  mappingFixedValues,
  mappingRows,
  mappingSteering,
  mappingWarnings,
  rowsToMapping,
  settingsInput,
  sourcesFor,
  unlabelledWarning,
} from '../../src-renderer/src/researcher/builder/builder-logic';

describe('campaign builder: column mapping', () => {
  const columns = [
    'question',
    'answer',
    'options',
    'hidden.k',
    'gold.concept',
    'expected.concept',
    'condition',
    'kind',
    'notes',
  ];
  const proposed = {
    payload: { question: 'question', answer: 'answer', options: 'options' },
    hidden: { k: 'hidden.k' },
    gold: { concept: 'gold.concept' },
    expected: { concept: 'expected.concept' },
    condition: 'condition',
    kind: 'kind',
  };

  it('prefills one row per column from the proposed mapping; unused columns are ignored', () => {
    expect(mappingRows(columns, proposed)).toEqual([
      { column: 'question', role: 'payload', name: 'question' },
      { column: 'answer', role: 'payload', name: 'answer' },
      { column: 'options', role: 'payload', name: 'options' },
      { column: 'hidden.k', role: 'hidden', name: 'k' },
      { column: 'gold.concept', role: 'gold', name: 'concept' },
      { column: 'expected.concept', role: 'expected', name: 'concept' },
      { column: 'condition', role: 'condition', name: '' },
      { column: 'kind', role: 'kind', name: '' },
      { column: 'notes', role: 'ignore', name: '' },
    ]);
  });

  it('round-trips rows into the same mapping', () => {
    expect(rowsToMapping(mappingRows(columns, proposed))).toEqual(proposed);
  });

  it('renames payload fields (an MTurk column feeding a template field)', () => {
    const rows = mappingRows(['model_answer'], { payload: { model_answer: 'model_answer' } });
    rows[0] = { ...rows[0], name: 'answer' };
    expect(rowsToMapping(rows).payload).toEqual({ answer: 'model_answer' });
  });

  it('names a column after the conventions when its role changes', () => {
    expect(defaultName('hidden.k', 'hidden', [])).toBe('k');
    expect(defaultName('layer', 'hidden', [])).toBe('layer');
    expect(defaultName('gold.coherence', 'gold', ['relatedness', 'coherence'])).toBe('coherence');
    expect(defaultName('answer_key', 'gold', ['relatedness', 'coherence'])).toBe('relatedness');
    expect(defaultName('x', 'condition', ['q'])).toBe('');
  });

  it('warns about two columns on one target and nameless fields', () => {
    const warnings = mappingWarnings([
      { column: 'a', role: 'condition', name: '' },
      { column: 'b', role: 'condition', name: '' },
      { column: 'c', role: 'payload', name: ' ' },
      { column: 'd', role: 'ignore', name: '' },
    ]);
    expect(warnings).toEqual([
      'columns a and b both map to condition; only b is used',
      'column c: give the payload field a name',
    ]);
  });

  it('makes a list from payload columns sharing a name, adds fixed values and steering columns, and reads them back (issue 15)', () => {
    const columns = [
      'question',
      'answer',
      'og_class',
      'target_class',
      'distractor1',
      'distractor2',
      'steering_score',
      'layer',
    ];
    const rows = mappingRows(columns, { payload: { question: 'question', answer: 'answer' } }).map((row) =>
      ['og_class', 'target_class', 'distractor1', 'distractor2'].includes(row.column)
        ? { ...row, role: 'payload' as const, name: 'options' }
        : row,
    );
    const fixed = [{ field: 'criterion', value: 'Which answer is more coherent?' }];
    const steering = { strength: 'steering_score', source: 'og_class', target: 'target_class', layer: '' };
    const mapping = rowsToMapping(rows, fixed, steering);
    expect(mapping.payload).toEqual({
      question: 'question',
      answer: 'answer',
      options: ['og_class', 'target_class', 'distractor1', 'distractor2'],
      criterion: { const: 'Which answer is more coherent?' },
    });
    expect(mapping.steering).toEqual({ strength: 'steering_score', source: 'og_class', target: 'target_class' });
    expect(mappingWarnings(rows, fixed)).toEqual([]);
    expect(
      mappingRows(columns, mapping)
        .filter((row) => row.name === 'options')
        .map((row) => row.column),
    ).toEqual(['og_class', 'target_class', 'distractor1', 'distractor2']);
    expect(mappingFixedValues(mapping)).toEqual(fixed);
    expect(mappingSteering(mapping)).toEqual(steering);
    expect(
      mappingWarnings(rows, [
        { field: 'answer', value: 'x' },
        { field: ' ', value: 'y' },
      ]),
    ).toEqual([
      'fixed value answer replaces the column mapped to payload.answer',
      'fixed value: give the field a name',
    ]);
  });

  it('keeps a fixed value hidden when asked (a number as a number), and reads it back hidden', () => {
    const rows = mappingRows(['prompt', 'a', 'b', 'steering_score'], {
      payload: { prompt: 'prompt', a: 'a', b: 'b' },
      hidden: { a: 'steering_score' },
    });
    const fixed = [
      { field: 'criterion', value: 'Which answer is more coherent?' },
      { field: 'b', value: '0', hidden: true },
      { field: 'model', value: 'llava', hidden: true },
    ];
    const mapping = rowsToMapping(rows, fixed);
    expect(mapping.payload).toMatchObject({ criterion: { const: 'Which answer is more coherent?' } });
    expect(mapping.hidden).toEqual({ a: 'steering_score', b: { const: 0 }, model: { const: 'llava' } });
    expect(mappingFixedValues(mapping)).toEqual(fixed);
    expect(mappingWarnings(rows, fixed)).toEqual([]);
    expect(mappingWarnings(rows, [{ field: 'a', value: '5', hidden: true }])).toEqual([
      'fixed value a replaces the column mapped to hidden.a',
    ]);
  });

  it('shows sample cells as short text', () => {
    expect(cellText(['a', 'b'])).toBe('["a","b"]');
    expect(cellText(null)).toBe('');
    expect(cellText('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('campaign builder: settings', () => {
  it('turns the form into campaigns.create settings (minutes to seconds, percent to a fraction)', () => {
    const form = {
      ...defaultSettingsForm(),
      leaseMinutes: 10,
      qualificationOn: true,
      passMarkPercent: 75,
      prolificCode: ' C0DE ',
    };
    expect(settingsInput(form)).toEqual({
      settings: {
        overlap: 3,
        leaseSeconds: 600,
        maxItemsPerRater: null,
        orderMode: 'random',
        seed: 1,
        qcEvery: 8,
        qualification: { passMark: 0.75 },
        prolific: { completionCode: 'C0DE' },
      },
      errors: {},
    });
  });

  it('adds the Prolific screen-out code when given (none by default), and only with a completion code', () => {
    expect(defaultSettingsForm().prolificScreenOutCode).toBe('');
    const both = settingsInput({ ...defaultSettingsForm(), prolificCode: 'C0DE', prolificScreenOutCode: ' OUT1 ' });
    expect(both).toMatchObject({
      settings: { prolific: { completionCode: 'C0DE', screenOutCode: 'OUT1' } },
      errors: {},
    });
    const alone = settingsInput({ ...defaultSettingsForm(), prolificScreenOutCode: 'OUT1' });
    expect(alone.settings.prolific).toBeUndefined();
    expect(alone.errors['settings.prolific']).toMatch(/screen-out code: needs a completion code/);
  });

  it('leaves optional parts out and names empty number fields', () => {
    const { settings, errors } = settingsInput({
      ...defaultSettingsForm(),
      overlap: null,
      seed: Number.NaN,
      maxItemsPerRater: 20,
    });
    expect(settings.qualification).toBeUndefined();
    expect(settings.prolific).toBeUndefined();
    expect(settings.maxItemsPerRater).toBe(20);
    expect(errors).toEqual({ 'settings.overlap': 'overlap: enter a number', 'settings.seed': 'seed: enter a number' });
  });

  it('checks each setting in the units the form shows (issue 15), at the bounds of the server schema', () => {
    const check = (change: Partial<ReturnType<typeof defaultSettingsForm>>) =>
      settingsInput({ ...defaultSettingsForm(), ...change }).errors;
    expect(check({ leaseMinutes: 0 })).toEqual({ 'settings.leaseSeconds': 'lease: at least 1 minute' });
    expect(check({ leaseMinutes: 0.5 })).toEqual({ 'settings.leaseSeconds': 'lease: at least 1 minute' });
    expect(check({ leaseMinutes: 1 })).toEqual({});
    expect(check({ leaseMinutes: 10_080 })).toEqual({});
    expect(check({ leaseMinutes: 10_081 })).toEqual({
      'settings.leaseSeconds': 'lease: at most 10080 minutes (7 days)',
    });
    expect(check({ leaseMinutes: null })).toEqual({ 'settings.leaseSeconds': 'lease: enter a number of minutes' });
    expect(check({ overlap: 0 })).toEqual({ 'settings.overlap': 'overlap: a whole number of raters from 1 to 100' });
    expect(check({ overlap: 2.5 })).toEqual({ 'settings.overlap': 'overlap: a whole number of raters from 1 to 100' });
    expect(check({ overlap: 100 })).toEqual({});
    expect(check({ seed: -1 })).toEqual({ 'settings.seed': 'seed: a whole number from 0 to 2147483647' });
    expect(check({ qcEvery: 1001 })).toEqual({
      'settings.qcEvery': 'gold / attention item every: a whole number of items from 1 to 1000',
    });
    expect(check({ maxItemsPerRater: 0 })).toEqual({
      'settings.maxItemsPerRater': 'max items per rater: a whole number of 1 or more (empty: no limit)',
    });
    expect(check({ qualificationOn: true, passMarkPercent: 120 })).toEqual({
      'settings.qualification': 'pass mark: a percentage from 0 to 100',
    });
    expect(check({ qualificationOn: false, passMarkPercent: 120 })).toEqual({});
    expect(check({ contact: 'x'.repeat(201) })).toEqual({ 'settings.contact': 'contact: at most 200 characters' });
  });

  it('passes a contact for raters on, trimmed, and leaves an empty one out', () => {
    expect(settingsInput({ ...defaultSettingsForm(), contact: '  ada@lab.example ' }).settings.contact).toBe(
      'ada@lab.example',
    );
    expect(settingsInput({ ...defaultSettingsForm(), contact: '  ' }).settings).not.toHaveProperty('contact');
  });

  it('says "unlabelled" for a feature without a label, and warns only for a detection campaign (issue 15)', () => {
    const rows = [
      { id: 1, index: 7, label: 'red things' },
      { id: 2, index: 12, label: null },
      { id: 3, index: 40, label: '  ' },
    ];
    expect(rows.map(featureLabelText)).toEqual(['red things', 'unlabelled', 'unlabelled']);
    expect(unlabelledWarning('feature-detection', rows)).toMatch(
      /^2 of 3 selected features are unlabelled \(feature 12, feature 40\)\. A detection item asks raters/,
    );
    expect(unlabelledWarning('feature-detection', [rows[1]])).toMatch(/^1 of 1 selected features is unlabelled/);
    expect(unlabelledWarning('feature-detection', [rows[0]])).toBeNull();
    expect(unlabelledWarning('intruder', rows)).toBeNull();
    const many = Array.from({ length: 8 }, (_, n) => ({ id: n + 1, index: n, label: null }));
    expect(unlabelledWarning('feature-detection', many)).toContain(
      '(feature 0, feature 1, feature 2, feature 3, feature 4 and 3 more)',
    );
  });

  it('offers the project sources each built-in template can be filled from', () => {
    expect(sourcesFor('intruder')).toEqual(['features', 'file']);
    expect(sourcesFor('pairwise')).toEqual(['generations', 'file']);
    expect(sourcesFor('my-own')).toEqual(['file']);
  });
});

describe('campaign builder: API errors next to their field', () => {
  it('maps schema issues by path', () => {
    const errors = fieldErrors({
      code: 'invalid_input',
      message: 'campaigns.create: settings.overlap: Too small; name: Too small',
      details: {
        issues: [
          { path: 'settings.overlap', message: 'Too small: expected number to be >=1' },
          { path: 'name', message: 'Too small' },
          { path: '', message: 'Unrecognized key' },
        ],
      },
    });
    expect(errors.byField['settings.overlap']).toBe('settings.overlap: Too small: expected number to be >=1');
    expect(errors.byField.name).toBe('name: Too small');
    expect(errors.general).toEqual(['Unrecognized key']);
  });

  it('maps domain messages by their leading path, items and files to the source', () => {
    expect(
      fieldErrors({ code: 'invalid_input', message: 'settings.qualification: expected items of kind "qualification"' })
        .byField['settings.qualification'],
    ).toMatch(/^settings\.qualification/);
    expect(
      fieldErrors({ code: 'invalid_input', message: 'item 3: item payload: options: expected an array' }).byField
        .source,
    ).toMatch(/^item 3/);
    expect(
      fieldErrors({ code: 'bad_file', message: 'study.csv: row 2: answer: expected a value' }, 'study.csv').byField
        .source,
    ).toMatch(/^study\.csv/);
    expect(fieldErrors({ code: 'internal', message: 'disk full' }).general).toEqual(['disk full']);
  });

  it('picks the most specific field for a path', () => {
    expect(fieldOf('settings.qualification.passMark')).toBe('settings.qualification');
    expect(fieldOf('source.featureIds')).toBe('source');
    expect(fieldOf('template.questions.0.type')).toBe('template');
    expect(fieldOf('settingsx')).toBeNull();
  });
});

describe('campaign builder: skips per rater and Prolific places (issue 11)', () => {
  it('leaves max skips to the default when empty (2 with a Prolific code, else unlimited) and sends a whole number as given, 0 included', () => {
    expect(defaultSettingsForm().maxSkipsPerRater).toBeNull();
    expect(settingsInput(defaultSettingsForm()).settings).not.toHaveProperty('maxSkipsPerRater');
    expect(settingsInput({ ...defaultSettingsForm(), maxSkipsPerRater: 0 })).toMatchObject({
      settings: { maxSkipsPerRater: 0 },
      errors: {},
    });
    expect(settingsInput({ ...defaultSettingsForm(), maxSkipsPerRater: 5 }).settings.maxSkipsPerRater).toBe(5);
    for (const bad of [-1, 1.5]) {
      const { errors } = settingsInput({ ...defaultSettingsForm(), maxSkipsPerRater: bad });
      expect(errors['settings.maxSkipsPerRater'], String(bad)).toMatch(
        /max skips per rater: enter a whole number of 0 or more/,
      );
    }
  });

  it('sends the number of places with the completion code; it must be a whole number of 1 or more, and needs the code', () => {
    expect(defaultSettingsForm().prolificPlaces).toBeNull();
    expect(settingsInput({ ...defaultSettingsForm(), prolificCode: 'C0DE', prolificPlaces: 40 })).toMatchObject({
      settings: { prolific: { completionCode: 'C0DE', places: 40 } },
      errors: {},
    });
    expect(settingsInput({ ...defaultSettingsForm(), prolificCode: 'C0DE' }).settings.prolific).not.toHaveProperty(
      'places',
    );
    for (const bad of [0, 2.5])
      expect(
        settingsInput({ ...defaultSettingsForm(), prolificCode: 'C0DE', prolificPlaces: bad }).errors[
          'settings.prolific'
        ],
        String(bad),
      ).toMatch(/places: enter a whole number of 1 or more/);
    expect(settingsInput({ ...defaultSettingsForm(), prolificPlaces: 40 }).errors['settings.prolific']).toMatch(
      /places: needs a completion code/,
    );
  });

  it("puts the server's schema issue for max skips next to its field", () => {
    const errors = fieldErrors({
      code: 'invalid_input',
      message: 'x',
      details: { issues: [{ path: 'settings.maxSkipsPerRater', message: 'Too small' }] },
    });
    expect(errors.byField['settings.maxSkipsPerRater']).toBe('settings.maxSkipsPerRater: Too small');
  });
});
