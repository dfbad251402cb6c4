// Reads a Label Studio JSON export (ours, labelstudio.ts, or Label Studio's own): an array of
// tasks, each an item (`data` is the payload; our `meta` adds position, kind, condition and hidden
// fields), with annotations as judgements whose `result` regions hold the answers (choices,
// rating, textarea, number). Our `sightline` block adds the rater's pseudonym, the shown order
// and the lease time; without it the rater is Label Studio's user and the order is unknown.
// Cancelled (skipped) annotations carry no answer and are left out.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { badFile } from '../../util/errors';
import { decodeUtf8Strict } from '../../util/utf8';
import {
  isItemKind,
  isoMs,
  isPlainObject,
  type FieldNames,
  type ImportedItem,
  type ResultRow,
  type ResultsTable,
} from './table';

const NAMES: FieldNames = {
  answer: (id) => `result ${id}`,
  shownOrder: 'sightline.shown_order',
  payloadPrefix: 'data.',
  rater: 'annotator',
  item: 'task',
  raterField: 'completed_by',
};

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? String(value);

/** One result region's answer: the value under the key its type uses. */
function regionValue(file: string, at: string, region: Record<string, unknown>): unknown {
  const value = region.value;
  if (!isPlainObject(value)) throw badFile(file, `${at}: value`, 'an object', show(value));
  switch (region.type) {
    case 'choices':
      return value.choices;
    case 'rating':
      return value.rating;
    case 'number':
      return value.number;
    case 'textarea':
      return Array.isArray(value.text) ? value.text.map(String).join('\n') : value.text;
    default:
      throw badFile(
        file,
        `${at}: type`,
        'choices, rating, number or textarea (region labels are not judgements Sightline can import)',
        show(region.type),
      );
  }
}

function raterOf(
  file: string,
  at: string,
  annotation: Record<string, unknown>,
  sightline: Record<string, unknown>,
): string {
  if (typeof sightline.rater === 'string' && sightline.rater !== '') return sightline.rater;
  const user = annotation.completed_by;
  // Label Studio writes a user id, or (some versions) an object with id and email.
  if (typeof user === 'number' || (typeof user === 'string' && user !== '')) return `user ${user}`;
  if (isPlainObject(user) && (typeof user.email === 'string' || typeof user.id === 'number'))
    return typeof user.email === 'string' ? user.email : `user ${user.id}`;
  throw badFile(file, `${at}: completed_by`, "the annotator's user id", show(user));
}

export function readLabelStudioResults(file: string): ResultsTable {
  const bytes = fs.readFileSync(file);
  const text = decodeUtf8Strict(bytes, file);
  let tasks: unknown;
  try {
    tasks = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch (error) {
    throw badFile(
      file,
      'document',
      'a JSON array of Label Studio tasks',
      `text that is not JSON (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(tasks)) throw badFile(file, 'document', 'a JSON array of Label Studio tasks', show(tasks));
  const items: (ImportedItem & { position: number | null; order: number })[] = [];
  const rows: (ResultRow & { annotationId: unknown })[] = [];
  const answerKeys = new Set<string>();
  const payloadFields = new Set<string>();
  const taskKeys = new Set<string>();
  let skipped = 0;
  tasks.forEach((task, t) => {
    const taskAt = `task ${t + 1}`;
    if (!isPlainObject(task)) throw badFile(file, taskAt, 'a task object', show(task));
    const key = task.id === undefined ? `#${t + 1}` : String(task.id);
    if (taskKeys.has(key)) throw badFile(file, `${taskAt}: id`, 'a task id no other task has', show(task.id));
    taskKeys.add(key);
    const payload = task.data;
    if (!isPlainObject(payload)) throw badFile(file, `${taskAt}: data`, "an object (the task's data)", show(payload));
    const meta = isPlainObject(task.meta) ? task.meta : {};
    const hidden = meta.hidden ?? {};
    if (!isPlainObject(hidden)) throw badFile(file, `${taskAt}: meta.hidden`, 'an object', show(hidden));
    const condition = meta.condition ?? null;
    if (condition !== null && typeof condition !== 'string')
      throw badFile(file, `${taskAt}: meta.condition`, 'text or null', show(condition));
    const kind = meta.item_kind ?? 'normal';
    if (!isItemKind(kind))
      throw badFile(file, `${taskAt}: meta.item_kind`, 'normal, gold, attention or qualification', show(kind));
    const position = meta.item_position ?? null;
    if (position !== null && !(typeof position === 'number' && Number.isSafeInteger(position) && position >= 0))
      throw badFile(file, `${taskAt}: meta.item_position`, 'a whole number, at least 0', show(position));
    for (const field of Object.keys(payload)) payloadFields.add(field);
    items.push({ key, item: { payload, hidden, condition, kind }, position, order: t });
    const annotations = task.annotations ?? [];
    if (!Array.isArray(annotations)) throw badFile(file, `${taskAt}: annotations`, 'a list', show(annotations));
    annotations.forEach((annotation, a) => {
      const at = `${taskAt}, annotation ${a + 1}`;
      if (!isPlainObject(annotation)) throw badFile(file, at, 'an annotation object', show(annotation));
      if (annotation.was_cancelled === true) {
        skipped++;
        return;
      }
      const sightline = isPlainObject(annotation.sightline) ? annotation.sightline : {};
      const result = annotation.result ?? [];
      if (!Array.isArray(result)) throw badFile(file, `${at}: result`, 'a list of result regions', show(result));
      const answers: Record<string, unknown> = {};
      result.forEach((region, r) => {
        const regionAt = `${at}: result[${r}]`;
        if (!isPlainObject(region) || typeof region.from_name !== 'string' || region.from_name === '')
          throw badFile(file, regionAt, 'a region with a from_name (the question)', show(region));
        if (region.from_name in answers)
          throw badFile(
            file,
            `${regionAt}: from_name`,
            'one region per question',
            `a second ${show(region.from_name)}`,
          );
        answers[region.from_name] = regionValue(file, regionAt, region);
        answerKeys.add(region.from_name);
      });
      const submittedAt = isoMs(file, `${at}: created_at`, annotation.created_at);
      const leadTime = annotation.lead_time ?? 0;
      if (typeof leadTime !== 'number' || !Number.isFinite(leadTime) || leadTime < 0 || leadTime > 1e12)
        throw badFile(file, `${at}: lead_time`, 'seconds, at least 0', show(leadTime));
      const activeMs = Math.round(leadTime * 1000);
      rows.push({
        at,
        itemKey: key,
        rater: raterOf(file, at, annotation, sightline),
        answers,
        shownOrder: sightline.shown_order,
        submittedAt,
        leasedAt:
          sightline.leased_at === undefined
            ? submittedAt - activeMs
            : isoMs(file, `${at}: sightline.leased_at`, sightline.leased_at),
        activeMs,
        source: {
          task: t + 1,
          annotation: a + 1,
          ...(annotation.id !== undefined ? { annotation_id: annotation.id } : {}),
        },
        annotationId: annotation.id,
      });
    });
  });
  if (rows.length === 0) throw badFile(file, 'annotations', 'at least one annotation that was not cancelled', 'none');
  // Our export's positions put the items back in campaign order; annotation ids (our judgement ids)
  // put the judgements back in the order they were made, so a fresh project numbers them alike.
  if (items.every((item) => item.position !== null))
    items.sort((x, y) => x.position! - y.position! || x.order - y.order);
  const ids = rows.map((row) => row.annotationId);
  const ordered = ids.every((id) => typeof id === 'number' && Number.isFinite(id))
    ? [...rows].sort((x, y) => (x.annotationId as number) - (y.annotationId as number))
    : rows;
  return {
    format: 'label-studio',
    file,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    description: 'the Label Studio export',
    names: NAMES,
    answerKeys: [...answerKeys],
    answerKeysComplete: false,
    payloadFields: [...payloadFields],
    items: items.map(({ key, item }) => ({ key, item })),
    rows: ordered.map(({ annotationId: _id, ...row }) => row),
    skipped,
  };
}
