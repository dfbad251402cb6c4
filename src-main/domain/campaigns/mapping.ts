import type { z } from 'zod';
import type { columnMappingSchema, MappedValue, SteeringRoles } from '../../contract/campaign-create';
import type { TemplateSpec } from '../../contract/templates';
import type { NewItem } from '../../store/campaigns';
import { AppError, badFile } from '../../util/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../util/json-depth';
import type { Row } from './read-rows';

/**
 * How the columns of an imported file become items. By default every column is rater-visible
 * payload (an MTurk batch CSV: header = variable names), except the conventions below, which are
 * hidden from raters: `hidden.<name>`, `gold.<question>` (known answers), `expected.<question>`
 * (attention checks), `condition` and `kind` (normal / gold / attention / qualification).
 */
export type ColumnMapping = z.infer<typeof columnMappingSchema>;

const KINDS = ['normal', 'gold', 'attention', 'qualification'] as const;

/**
 * Cells that hold JSON arrays or objects (e.g. options) become values; numeric hidden cells become
 * numbers, and empty hidden cells null (no value, rather than the empty string).
 */
function cellValue(raw: unknown, numeric: boolean): unknown {
  if (typeof raw !== 'string') return raw;
  const text = raw.trim();
  if (numeric && text === '') return null;
  if ((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('{') && text.endsWith('}'))) {
    try {
      return JSON.parse(text);
    } catch {
      return raw;
    }
  }
  if (numeric && text !== '' && Number.isFinite(Number(text))) return Number(text);
  return raw;
}

export function defaultMapping(columns: string[]): ColumnMapping {
  const mapping: Record<'payload' | 'hidden' | 'gold' | 'expected', Record<string, string>> &
    Pick<ColumnMapping, 'condition' | 'kind'> = { payload: {}, hidden: {}, gold: {}, expected: {} };
  for (const column of columns) {
    const [prefix, ...rest] = column.split('.');
    const name = rest.join('.');
    if (prefix === 'hidden' && name) mapping.hidden[name] = column;
    else if (prefix === 'gold' && name) mapping.gold[name] = column;
    else if (prefix === 'expected' && name) mapping.expected[name] = column;
    else if (column === 'condition') mapping.condition = column;
    else if (column === 'kind') mapping.kind = column;
    else mapping.payload[column] = column;
  }
  return mapping;
}

/** Payload fields a template needs: display fields, options fields and ${var} references. */
export function requiredPayloadFields(template: TemplateSpec): string[] {
  const fields = new Set<string>();
  for (const question of template.questions) {
    for (const match of question.prompt.matchAll(/\$\{([A-Za-z0-9_.-]+)\}/g)) fields.add(match[1]);
    if ((question.type === 'choice' || question.type === 'multi') && question.optionsFromPayload)
      fields.add(question.optionsFromPayload);
  }
  for (const block of template.display) {
    if (block.type === 'pair') block.fields.forEach((field) => fields.add(field));
    else if (block.type !== 'image') fields.add(block.field);
  }
  return [...fields];
}

/** The columns a mapped value reads (none for a fixed value). */
function columnsOf(value: MappedValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value : [];
}

/**
 * The hidden field each steering role fills: the names the results (steering curve) and the items
 * built from generations use, so both kinds of campaign are read alike.
 */
const STEERING_FIELDS: Record<keyof SteeringRoles, string> = {
  strength: 'k',
  source: 'source_class',
  target: 'target_class',
  layer: 'layer',
};

/** A steering role and a hidden column mapped to the same field would silently overwrite each other. */
function checkSteeringRoles(mapping: ColumnMapping): void {
  for (const [role, field] of Object.entries(STEERING_FIELDS)) {
    if (mapping.steering?.[role as keyof SteeringRoles] && Object.hasOwn(mapping.hidden ?? {}, field)) {
      throw new AppError(
        'invalid_input',
        `mapping: steering.${role} and hidden.${field} both fill hidden.${field}; keep one`,
      );
    }
  }
}

/**
 * Turns rows into items; errors name the file, the row (`rowName`: "row 3", or an MTurk file's
 * "line 4") and the column.
 */
export function rowsToItems(
  rows: Row[],
  template: TemplateSpec,
  file: string,
  mapping: ColumnMapping = defaultMapping(Object.keys(rows[0] ?? {})),
  rowName: (index: number) => string = (index) => `row ${index + 1}`,
): NewItem[] {
  const columns = new Set(rows.flatMap((row) => Object.keys(row)));
  const mappedValues = [mapping.payload, mapping.hidden, mapping.gold, mapping.expected].flatMap((map) =>
    Object.values(map ?? {}),
  );
  const referenced = [
    ...mappedValues.flatMap(columnsOf),
    ...Object.values(mapping.steering ?? {}),
    mapping.condition,
    mapping.kind,
  ];
  for (const column of referenced)
    if (column && !columns.has(column))
      throw badFile(
        file,
        `column ${column}`,
        `a column named in the mapping (the file has ${[...columns].join(', ')})`,
      );
  for (const value of mappedValues) {
    if (typeof value === 'object' && !Array.isArray(value) && nestsDeeperThan(value.const, MAX_JSON_DEPTH))
      throw new AppError('invalid_input', `mapping: const: expected values nested at most ${MAX_JSON_DEPTH} deep`);
  }
  checkSteeringRoles(mapping);
  const needed = requiredPayloadFields(template);
  return rows.map((row, index) => {
    const where = rowName(index);
    // Own cells only: a row without a column named "constructor" must not read Object's.
    const cell = (column: string) => (Object.hasOwn(row, column) ? row[column] : undefined);
    const cellOf = (column: string, numeric: boolean) => {
      const value = cellValue(cell(column), numeric);
      // A CSV cell holding JSON is parsed here, so it gets the same depth bound as a JSONL row.
      if (nestsDeeperThan(value, MAX_JSON_DEPTH))
        throw badFile(file, `${where}: ${column}`, `values nested at most ${MAX_JSON_DEPTH} deep`);
      return value;
    };
    const mappedValue = (mapped: MappedValue, numeric: boolean): unknown => {
      if (typeof mapped === 'string') return cellOf(mapped, numeric);
      // Several columns make a list; an empty cell (a row with one distractor fewer) is left out.
      if (Array.isArray(mapped))
        return mapped
          .map((column) => cellOf(column, numeric))
          .filter((value) => value !== undefined && value !== null && value !== '');
      return mapped.const;
    };
    const pick = (map: Record<string, MappedValue> | undefined, numeric: boolean) =>
      Object.fromEntries(Object.entries(map ?? {}).map(([field, mapped]) => [field, mappedValue(mapped, numeric)]));
    const payload = pick(mapping.payload, false);
    const hidden: Record<string, unknown> = pick(mapping.hidden, true);
    for (const [role, column] of Object.entries(mapping.steering ?? {})) {
      if (!column) continue;
      const value = cellOf(column, true);
      if (role === 'strength' && value !== null && typeof value !== 'number')
        throw badFile(file, `${where}: ${column}`, 'a number (the steering strength)', JSON.stringify(value));
      if (value !== null && value !== undefined) hidden[STEERING_FIELDS[role as keyof SteeringRoles]] = value;
    }
    // An empty gold/expected cell means "no known answer" for that row, not the empty string.
    const known = (values: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(values).filter(
          ([, value]) =>
            value !== '' && value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0),
        ),
      );
    const gold = known(pick(mapping.gold, false));
    const expected = known(pick(mapping.expected, false));
    if (Object.keys(gold).length) hidden.gold = gold;
    if (Object.keys(expected).length) hidden.expected = expected;
    for (const field of needed) {
      const value = payload[field];
      if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
        throw badFile(file, `${where}: ${field}`, `a value (template ${template.id} shows or references it)`);
    }
    const kindCell = mapping.kind
      ? String(cell(mapping.kind) ?? '').trim() || 'normal'
      : Object.keys(expected).length
        ? 'attention'
        : Object.keys(gold).length
          ? 'gold'
          : 'normal';
    if (!(KINDS as readonly string[]).includes(kindCell))
      throw badFile(file, `${where}: ${mapping.kind}`, `one of ${KINDS.join(', ')}`, `"${kindCell}"`);
    // The strength is the balanced condition when no column says otherwise, as for generations (k=…).
    const condition = mapping.condition
      ? String(cell(mapping.condition) ?? '') || null
      : typeof hidden.k === 'number' && mapping.steering?.strength
        ? `k=${hidden.k}`
        : null;
    return { payload, hidden, condition, kind: kindCell as NewItem['kind'] };
  });
}
