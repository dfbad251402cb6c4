// Label Studio JSON export: an array of tasks, each with `data` (the item payload: what annotators
// see), `meta` (Sightline's hidden condition; Label Studio keeps task meta out of the labeling UI)
// and `annotations[].result` in Label Studio's region shape: choices, textarea and rating.
import type { QuestionSpec } from '../contract/types';
import { parseJson } from '../store/db';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { iterateItemsWithJudgements } from '../store/export-rows';
import { shownOrder, type ShownJson } from '../util/shown-order';
import { isoTime, type ExportSource } from './source';

function resultFor(
  question: QuestionSpec,
  value: unknown,
  judgementId: number,
  toName: string,
): Record<string, unknown> | null {
  if (value === null || value === undefined || value === '') return null;
  const base = { id: `j${judgementId}-${question.id}`, from_name: question.id, to_name: toName, origin: 'manual' };
  if (question.type === 'choice') return { ...base, type: 'choices', value: { choices: [String(value)] } };
  if (question.type === 'multi')
    return { ...base, type: 'choices', value: { choices: Array.isArray(value) ? value.map(String) : [String(value)] } };
  if (question.type === 'scale') return { ...base, type: 'rating', value: { rating: Number(value) } };
  return { ...base, type: 'textarea', value: { text: [String(value)] } };
}

/** Returns the number of tasks written (items, rated or not). */
export async function writeLabelStudio(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<number> {
  const first = source.template.display[0];
  const toName = !first ? 'text' : 'field' in first ? first.field : first.fields[0];
  let tasks = 0;
  let current: { id: number; task: Record<string, unknown>; annotations: unknown[] } | null = null;
  const emit = () => {
    if (!current) return;
    file.write(
      `${tasks === 0 ? '[\n' : ',\n'}${JSON.stringify({ ...current.task, annotations: current.annotations })}`,
    );
    tasks++;
  };
  for (const row of iterateItemsWithJudgements(source.db, source.campaign.id)) {
    if (!current || current.id !== row.item_id) {
      emit();
      current = {
        id: row.item_id,
        task: {
          id: row.item_id,
          data: parseJson(row.payload_json, `items.payload_json (item ${row.item_id})`),
          meta: {
            sightline_campaign: source.campaign.name,
            item_position: row.item_position,
            item_kind: row.item_kind,
            condition: row.condition,
            hidden: parseJson(row.hidden_json, `items.hidden_json (item ${row.item_id})`),
          },
        },
        annotations: [],
      };
    }
    if (row.judgement_id === null || row.judgement_id === undefined) continue;
    const answer =
      parseJson<Record<string, unknown>>(
        row.answer_json as string,
        `judgements.answer_json (judgement ${row.judgement_id})`,
      ) ?? {};
    const shown = parseJson<ShownJson>(
      row.shown_json as string,
      `judgements.shown_json (judgement ${row.judgement_id})`,
    );
    current.annotations.push({
      id: row.judgement_id,
      // Label Studio wants a numeric user id here; the rater's id is a number with no name attached.
      completed_by: row.rater_id,
      result: source.questions.flatMap(
        (question) => resultFor(question, answer[question.id], row.judgement_id as number, toName) ?? [],
      ),
      was_cancelled: false,
      ground_truth: false,
      created_at: isoTime(row.submitted_at as number),
      updated_at: isoTime(row.submitted_at as number),
      lead_time: (row.active_ms as number) / 1000,
      sightline: {
        rater: source.revealRaters ? row.rater_name : row.rater_pseudonym,
        shown_order: shownOrder(shown),
        shown,
        leased_at: isoTime(row.leased_at as number),
      },
    });
    if (meter.tick()) await meter.pause();
  }
  emit();
  file.write(tasks === 0 ? '[]\n' : '\n]\n');
  return tasks;
}
