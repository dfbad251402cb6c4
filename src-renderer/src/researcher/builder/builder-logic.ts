// The campaign builder's rules as pure functions (unit-tested in tests/renderer): the column
// mapping screen's rows, the settings form turned into campaigns.create input, and API errors
// turned into messages next to the field they name.
import type { MethodInput, TemplateSpec } from '../../../../src-main/contract';

/** The mapping as campaigns.previewImport proposes it and campaigns.create takes it. */
export type ColumnMapping = NonNullable<
  Extract<MethodInput<'campaigns.create'>['source'], { kind: 'file' }>['mapping']
>;

/** What one imported column becomes. `gold`/`expected` name a question of the template. */
export type ColumnRole = 'payload' | 'hidden' | 'gold' | 'expected' | 'condition' | 'kind' | 'ignore';

export interface ColumnRow {
  column: string;
  role: ColumnRole;
  /** payload/hidden: the field name; gold/expected: the question id; otherwise unused. */
  name: string;
}

/** A field with the same value on every item (`{"const": value}` in a mapping file), e.g. a pairwise criterion. */
export interface FixedValue {
  field: string;
  value: string;
  /** a hidden field (kept from raters, like a hidden column), e.g. the k of the side every pair shares */
  hidden?: boolean;
}

/** Which column holds each part of the steering condition ('' for none): the mapping's `steering` roles. */
export interface SteeringColumns {
  strength: string;
  source: string;
  target: string;
  layer: string;
}

export const STEERING_ROLES = ['strength', 'source', 'target', 'layer'] as const;
export const noSteering = (): SteeringColumns => ({ strength: '', source: '', target: '', layer: '' });

type MappedValue = NonNullable<ColumnMapping['payload']>[string];

const entries = (record: Record<string, MappedValue> | undefined) => Object.entries(record ?? {});
/** The columns a mapped value reads: one, several (a list), or none (a fixed value). */
const columnsOf = (value: MappedValue): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];

/** One row per column, prefilled from a proposed mapping; columns it does not use are ignored. */
export function mappingRows(columns: readonly string[], mapping: ColumnMapping): ColumnRow[] {
  return columns.map((column): ColumnRow => {
    const find = (record: Record<string, MappedValue> | undefined) =>
      entries(record).find(([, mapped]) => columnsOf(mapped).includes(column))?.[0];
    const payload = find(mapping.payload);
    if (payload !== undefined) return { column, role: 'payload', name: payload };
    const hidden = find(mapping.hidden);
    if (hidden !== undefined) return { column, role: 'hidden', name: hidden };
    const gold = find(mapping.gold);
    if (gold !== undefined) return { column, role: 'gold', name: gold };
    const expected = find(mapping.expected);
    if (expected !== undefined) return { column, role: 'expected', name: expected };
    if (mapping.condition === column) return { column, role: 'condition', name: '' };
    if (mapping.kind === column) return { column, role: 'kind', name: '' };
    return { column, role: 'ignore', name: '' };
  });
}

/** The fixed payload and hidden values of a mapping, as the form edits them. */
export function mappingFixedValues(mapping: ColumnMapping): FixedValue[] {
  return (['payload', 'hidden'] as const).flatMap((role) =>
    entries(mapping[role]).flatMap(([field, mapped]) =>
      typeof mapped === 'object' && !Array.isArray(mapped)
        ? [
            {
              field,
              value: typeof mapped.const === 'string' ? mapped.const : JSON.stringify(mapped.const),
              ...(role === 'hidden' ? { hidden: true } : {}),
            },
          ]
        : [],
    ),
  );
}

/**
 * A fixed value as the mapping stores it: payload text as typed; a hidden number as a number, as a
 * hidden column's numeric cells are (domain/campaigns/mapping.ts), so `0` here and a 0 read from a
 * file compare alike in the results.
 */
function fixedConst({ value, hidden }: FixedValue): { const: string | number } {
  const text = value.trim();
  return { const: hidden && text !== '' && Number.isFinite(Number(text)) ? Number(text) : value };
}

/** The steering roles of a mapping, as the form edits them. */
export function mappingSteering(mapping: ColumnMapping): SteeringColumns {
  return {
    ...noSteering(),
    ...Object.fromEntries(Object.entries(mapping.steering ?? {}).filter(([, column]) => column)),
  };
}

/** The name a column gets when the researcher switches it to `role` (the conventions of domain/campaigns/mapping.ts). */
export function defaultName(column: string, role: ColumnRole, questionIds: readonly string[]): string {
  const [prefix, ...rest] = column.split('.');
  const suffix = rest.join('.');
  if (role === 'payload') return column;
  if (role === 'hidden') return prefix === 'hidden' && suffix ? suffix : column;
  if (role === 'gold' || role === 'expected') {
    if (suffix && questionIds.includes(suffix)) return suffix;
    return questionIds[0] ?? '';
  }
  return '';
}

/**
 * Rows back into a mapping. Payload or hidden columns given the same field name make a list, in
 * row order (the reference study's options: og_class, target_class, distractor1, distractor2); for
 * gold, expected, condition and kind a later row wins, as in an object literal. Fixed values and the
 * steering columns come from their own parts of the form.
 */
export function rowsToMapping(
  rows: readonly ColumnRow[],
  fixed: readonly FixedValue[] = [],
  steering: SteeringColumns = noSteering(),
): ColumnMapping {
  const lists: Record<'payload' | 'hidden', Map<string, string[]>> = { payload: new Map(), hidden: new Map() };
  const mapping: Required<Pick<ColumnMapping, 'payload' | 'hidden' | 'gold' | 'expected'>> & ColumnMapping = {
    payload: {},
    hidden: {},
    gold: {},
    expected: {},
  };
  for (const row of rows) {
    const name = row.name.trim();
    if (row.role === 'payload' || row.role === 'hidden') {
      if (name) lists[row.role].set(name, [...(lists[row.role].get(name) ?? []), row.column]);
    } else if (row.role === 'gold' || row.role === 'expected') {
      if (name) mapping[row.role][name] = row.column;
    } else if (row.role === 'condition') mapping.condition = row.column;
    else if (row.role === 'kind') mapping.kind = row.column;
  }
  for (const role of ['payload', 'hidden'] as const) {
    for (const [field, columns] of lists[role]) mapping[role][field] = columns.length === 1 ? columns[0] : columns;
  }
  for (const value of fixed)
    if (value.field.trim()) mapping[value.hidden ? 'hidden' : 'payload'][value.field.trim()] = fixedConst(value);
  const roles = Object.fromEntries(
    STEERING_ROLES.filter((role) => steering[role]).map((role) => [role, steering[role]]),
  );
  if (Object.keys(roles).length) mapping.steering = roles;
  return mapping;
}

/** Problems the mapping screen can see before asking the server: duplicate targets, empty names. */
export function mappingWarnings(rows: readonly ColumnRow[], fixed: readonly FixedValue[] = []): string[] {
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const row of rows) {
    if (row.role === 'ignore') continue;
    if (
      (row.role === 'payload' || row.role === 'hidden' || row.role === 'gold' || row.role === 'expected') &&
      !row.name.trim()
    ) {
      warnings.push(`column ${row.column}: give the ${row.role} field a name`);
      continue;
    }
    // Several payload/hidden columns under one name are a list, not a clash.
    if (row.role === 'payload' || row.role === 'hidden') continue;
    const target = row.role === 'condition' || row.role === 'kind' ? row.role : `${row.role}.${row.name.trim()}`;
    const earlier = seen.get(target);
    if (earlier)
      warnings.push(`columns ${earlier} and ${row.column} both map to ${target}; only ${row.column} is used`);
    seen.set(target, row.column);
  }
  for (const { field, hidden } of fixed) {
    const name = field.trim();
    const role = hidden ? 'hidden' : 'payload';
    if (!name) warnings.push('fixed value: give the field a name');
    else if (rows.some((row) => row.role === role && row.name.trim() === name))
      warnings.push(`fixed value ${name} replaces the column mapped to ${role}.${name}`);
  }
  return warnings;
}

/** A cell of the sample table, shortened for the screen (rendered as text, never HTML). */
export function cellText(value: unknown, max = 80): string {
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---- Settings ------------------------------------------------------------------------------------

export interface SettingsForm {
  overlap: number | null;
  leaseMinutes: number | null;
  /** Empty (null) means no limit. */
  maxItemsPerRater: number | null;
  /** Empty (null) means the default: 2 with a Prolific completion code, unlimited without. */
  maxSkipsPerRater: number | null;
  orderMode: 'random' | 'fixed';
  seed: number | null;
  qcEvery: number | null;
  qualificationOn: boolean;
  /** Pass mark in percent (0–100), as researchers say it. */
  passMarkPercent: number | null;
  prolificCode: string;
  /** Prolific's screen-out code for participants who fail the qualification round or an attention check; empty for none. */
  prolificScreenOutCode: string;
  /** The study's number of places on Prolific; empty for no bound on who may enter. */
  prolificPlaces: number | null;
  /** Whom raters ask when their link stops working (shown on the withdrawn-link page); empty for none. */
  contact: string;
}

export const defaultSettingsForm = (): SettingsForm => ({
  overlap: 3,
  leaseMinutes: 15,
  maxItemsPerRater: null,
  maxSkipsPerRater: null,
  orderMode: 'random',
  seed: 1,
  qcEvery: 8,
  qualificationOn: false,
  passMarkPercent: 80,
  prolificCode: '',
  prolificScreenOutCode: '',
  prolificPlaces: null,
  contact: '',
});

type Settings = NonNullable<MethodInput<'campaigns.create'>['settings']>;

/** The longest contact the server takes (contract/campaign-create.ts). */
const CONTACT_MAX = 200;
const LEASE_MAX_MINUTES = 7 * 24 * 60;

/**
 * The settings as campaigns.create takes them, and a message per field that is empty or out of
 * range. The builder runs it as the researcher types (issue 15), so each message is in the units
 * the form shows ("lease: at least 1 minute", a pass mark in percent), not the schema's seconds or
 * fractions. The bounds are the server schema's; the server checks them again.
 */
export function settingsInput(form: SettingsForm): { settings: Settings; errors: Partial<Record<Field, string>> } {
  const errors: Partial<Record<Field, string>> = {};
  const empty = (value: number | null) => value === null || value === undefined || Number.isNaN(value);
  /** A required number in [min, max]; `rule` says the range in the form's words. */
  const number = (
    value: number | null,
    field: Field,
    label: string,
    bounds: { min: number; max: number; whole: boolean },
    rule: string,
  ): number => {
    if (empty(value)) {
      errors[field] = `${label}: enter a number`;
      return 0;
    }
    const given = value as number;
    if (given < bounds.min || given > bounds.max || (bounds.whole && !Number.isInteger(given)))
      errors[field] = `${label}: ${rule}`;
    return given;
  };
  const leaseMinutes = empty(form.leaseMinutes) ? null : (form.leaseMinutes as number);
  if (leaseMinutes === null) errors['settings.leaseSeconds'] = 'lease: enter a number of minutes';
  else if (leaseMinutes < 1) errors['settings.leaseSeconds'] = 'lease: at least 1 minute';
  else if (leaseMinutes > LEASE_MAX_MINUTES)
    errors['settings.leaseSeconds'] = `lease: at most ${LEASE_MAX_MINUTES} minutes (7 days)`;
  const settings: Settings = {
    overlap: number(
      form.overlap,
      'settings.overlap',
      'overlap',
      { min: 1, max: 100, whole: true },
      'a whole number of raters from 1 to 100',
    ),
    leaseSeconds: Math.round((leaseMinutes ?? 0) * 60),
    maxItemsPerRater: empty(form.maxItemsPerRater) ? null : form.maxItemsPerRater,
    orderMode: form.orderMode,
    seed: number(
      form.seed,
      'settings.seed',
      'seed',
      { min: 0, max: 2 ** 31 - 1, whole: true },
      `a whole number from 0 to ${2 ** 31 - 1}`,
    ),
    qcEvery: number(
      form.qcEvery,
      'settings.qcEvery',
      'gold / attention item every',
      { min: 1, max: 1000, whole: true },
      'a whole number of items from 1 to 1000',
    ),
  };
  const whole = (value: number, min: number) => Number.isInteger(value) && value >= min;
  if (!empty(form.maxItemsPerRater) && !whole(form.maxItemsPerRater!, 1))
    errors['settings.maxItemsPerRater'] = 'max items per rater: a whole number of 1 or more (empty: no limit)';
  if (!empty(form.maxSkipsPerRater)) {
    if (whole(form.maxSkipsPerRater!, 0)) settings.maxSkipsPerRater = form.maxSkipsPerRater;
    else
      errors['settings.maxSkipsPerRater'] =
        'max skips per rater: enter a whole number of 0 or more (empty: 2 with a Prolific code, else no limit)';
  }
  if (form.qualificationOn) {
    const percent = number(
      form.passMarkPercent,
      'settings.qualification',
      'pass mark',
      { min: 0, max: 100, whole: false },
      'a percentage from 0 to 100',
    );
    settings.qualification = { passMark: percent / 100 };
  }
  const contact = form.contact.trim();
  if (contact.length > CONTACT_MAX) errors['settings.contact'] = `contact: at most ${CONTACT_MAX} characters`;
  else if (contact) settings.contact = contact;
  const completionCode = form.prolificCode.trim();
  const screenOutCode = form.prolificScreenOutCode.trim();
  const places = empty(form.prolificPlaces) ? undefined : form.prolificPlaces!;
  if (completionCode) {
    settings.prolific = {
      completionCode,
      ...(screenOutCode ? { screenOutCode } : {}),
      ...(places !== undefined ? { places } : {}),
    };
    if (places !== undefined && !whole(places, 1))
      errors['settings.prolific'] = 'Prolific places: enter a whole number of 1 or more (empty: no limit)';
  } else if (screenOutCode)
    errors['settings.prolific'] = 'Prolific screen-out code: needs a completion code (the study link comes with it)';
  else if (places !== undefined)
    errors['settings.prolific'] = 'Prolific places: needs a completion code (the study link comes with it)';
  return { settings, errors };
}

// ---- Sources ---------------------------------------------------------------------------------------

export type SourceKind = 'features' | 'generations' | 'file';

// The item builders of domain/campaigns/from-project.ts: which built-in templates each project source can fill.
const FROM_FEATURES = ['feature-label', 'feature-detection', 'intruder'];
const FROM_GENERATIONS = ['concept-choice', 'concept-relatedness', 'pairwise'];

/** The project sources a template can be filled from (an imported file always works). */
export function sourcesFor(templateId: string): SourceKind[] {
  if (FROM_FEATURES.includes(templateId)) return ['features', 'file'];
  if (FROM_GENERATIONS.includes(templateId)) return ['generations', 'file'];
  return ['file'];
}

/** The ids of a template's questions (for gold.<question> and expected.<question>). */
export const questionIds = (template: TemplateSpec | null): string[] =>
  template?.questions.map((question) => question.id) ?? [];

/** A one-line description of a question for the template preview. */
export function questionSummary(question: TemplateSpec['questions'][number]): string {
  if (question.type === 'scale') return `scale ${question.min}–${question.max}`;
  if (question.type === 'text') return 'free text';
  const count = question.options
    ? `${question.options.length} options`
    : `options from ${question.optionsFromPayload ?? '?'}`;
  const kind = question.type === 'multi' ? 'choose any' : 'choose one';
  return `${kind}, ${count}${question.shuffle ? ', shuffled per rater' : ''}${question.fixedTail?.length ? ` + ${question.fixedTail.map((option) => option.label).join(', ')}` : ''}`;
}

// ---- Errors next to their field -------------------------------------------------------------------

/** Form fields an API error can point at (paths of campaigns.create input, shortened). */
export const FIELDS = [
  'name',
  'template',
  'instructions',
  'source',
  'settings.overlap',
  'settings.leaseSeconds',
  'settings.maxItemsPerRater',
  'settings.maxSkipsPerRater',
  'settings.orderMode',
  'settings.seed',
  'settings.qcEvery',
  'settings.qualification',
  'settings.prolific',
  'settings.contact',
] as const;
export type Field = (typeof FIELDS)[number];

export interface FieldErrors {
  byField: Partial<Record<Field, string>>;
  /** Messages that name no form field (shown at the top of the form). */
  general: string[];
}

/** Which form field a path such as "settings.qualification.passMark" or "source.featureIds" belongs to. */
export function fieldOf(path: string): Field | null {
  const trimmed = path.replace(/^campaigns\.create:\s*/, '');
  let best: Field | null = null;
  for (const field of FIELDS) {
    if (
      (trimmed === field || trimmed.startsWith(`${field}.`) || trimmed.startsWith(`${field}:`)) &&
      (!best || field.length > best.length)
    )
      best = field;
  }
  if (!best && /^(item \d+|generations|features|feature \d+|column )/.test(trimmed)) return 'source';
  return best;
}

interface ErrorLike {
  code?: string;
  message: string;
  details?: unknown;
}

/**
 * Splits an API error into per-field messages. Schema failures carry details.issues [{path,
 * message}]; other errors start with the path they concern ("settings.qualification: …",
 * "item 3: …", "demo.csv: row 2: answer: …" for the imported file).
 */
export function fieldErrors(error: ErrorLike, fileName?: string): FieldErrors {
  const result: FieldErrors = { byField: {}, general: [] };
  const add = (field: Field | null, message: string) => {
    if (!field) result.general.push(message);
    else result.byField[field] = result.byField[field] ? `${result.byField[field]}; ${message}` : message;
  };
  const issues = (error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues;
  if (error.code === 'invalid_input' && Array.isArray(issues) && issues.length > 0) {
    for (const issue of issues)
      add(fieldOf(issue.path), issue.path ? `${issue.path}: ${issue.message}` : issue.message);
    return result;
  }
  const message = error.message;
  if (error.code === 'bad_file' || (fileName && message.startsWith(`${fileName}:`))) add('source', message);
  else add(fieldOf(message), message);
  return result;
}

/** Human names for the form fields, used in the error summary ("Check: overlap, lease length"). */
export const FIELD_LABELS: Record<Field, string> = {
  name: 'name',
  template: 'template',
  instructions: 'instructions',
  source: 'items',
  'settings.overlap': 'overlap',
  'settings.leaseSeconds': 'lease length',
  'settings.maxItemsPerRater': 'max items per rater',
  'settings.maxSkipsPerRater': 'max skips per rater',
  'settings.orderMode': 'order',
  'settings.seed': 'seed',
  'settings.qcEvery': 'quality-control spacing',
  'settings.qualification': 'qualification',
  'settings.prolific': 'Prolific completion code',
  'settings.contact': 'contact for raters',
};

// ---- Features of a detection campaign -------------------------------------------------------------

/** A selected feature as the builder lists it: its label, or "unlabelled". */
export interface FeatureLabelRow {
  id: number;
  index: number;
  label: string | null;
}

export const featureLabelText = (row: FeatureLabelRow): string => row.label?.trim() || 'unlabelled';

/**
 * The warning for a detection campaign over features without a label (issue 15): a detection item
 * asks raters whether examples match the feature's label, so an unlabelled feature has nothing to
 * ask about. Null when every feature has one, or for other templates.
 */
export function unlabelledWarning(templateId: string, rows: readonly FeatureLabelRow[]): string | null {
  if (templateId !== 'feature-detection') return null;
  const unlabelled = rows.filter((row) => !row.label?.trim());
  if (unlabelled.length === 0) return null;
  const which = unlabelled
    .slice(0, 5)
    .map((row) => `feature ${row.index}`)
    .join(', ');
  const more = unlabelled.length > 5 ? ` and ${unlabelled.length - 5} more` : '';
  return `${unlabelled.length} of ${rows.length} selected features ${unlabelled.length === 1 ? 'is' : 'are'} unlabelled (${which}${more}). A detection item asks raters whether examples match the feature's label; label these first (on the feature page, or from a feature-label campaign's results).`;
}
