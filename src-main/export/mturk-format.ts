// MTurk's batch results CSV conventions, shared by the exporter and the importer.

export const MTURK_FIXED_COLUMNS = [
  'HITId',
  'HITTypeId',
  'AssignmentId',
  'WorkerId',
  'AssignmentStatus',
  'AcceptTime',
  'SubmitTime',
  'WorkTimeInSeconds',
] as const;
/** Sightline's extra columns after MTurk's own: analysis scripts ignore them, our importer reads them back. */
export const SIGHTLINE_COLUMNS = [
  'Sightline.ItemKind',
  'Sightline.Condition',
  'Sightline.ShownOrder',
  'Sightline.ActiveTimeInSeconds',
] as const;
export const INPUT_PREFIX = 'Input.';
export const ANSWER_PREFIX = 'Answer.';
export const HIDDEN_PREFIX = 'Hidden.';
/** Hidden field where an imported item keeps its original HITId, so a re-export keeps it. */
export const HIT_ID_FIELD = 'mturk_hit_id';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');

/** MTurk writes times as "Wed Jan 15 09:12:34 PST 2020"; we write the same shape in UTC. */
export function mturkTime(ms: number): string {
  const date = new Date(ms);
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
}

const ZONES: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  PST: -8,
  PDT: -7,
  MST: -7,
  MDT: -6,
  CST: -6,
  CDT: -5,
  EST: -5,
  EDT: -4,
};
const MTURK_TIME = /^(?:[A-Za-z]{3} )?([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([A-Za-z]+) (\d{4})$/;

/** Parses MTurk's time format (US zones as MTurk writes them) or ISO 8601; null if neither. */
export function parseMturkTime(text: string): number | null {
  const match = MTURK_TIME.exec(text.trim());
  if (match) {
    const [, month, day, hours, minutes, seconds, zone, year] = match;
    const monthIndex = MONTHS.indexOf(month);
    const offset = ZONES[zone.toUpperCase()];
    if (monthIndex < 0 || offset === undefined) return null;
    return Date.UTC(Number(year), monthIndex, Number(day), Number(hours) - offset, Number(minutes), Number(seconds));
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? null : parsed;
}
