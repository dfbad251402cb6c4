// The pages a participant sees when their study link (/enter/<key>) or rater link (/rate?token=…)
// is refused: short, plain HTML that says what happened and what to do, instead of a bare error line. The
// message is ours, but it is escaped anyway: the page must never render anything as markup.
import { SESSION_MISMATCH, STUDY_FULL } from '../domain/entry';
import type { RaterLinkRefusal } from '../domain/rater-link';
import type { ErrorValue } from '../util/errors';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function headingOf(error: ErrorValue): string {
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  if (reason === SESSION_MISMATCH) return 'This study was started from another Prolific session';
  if (reason === STUDY_FULL) return 'This study is full';
  if (error.code === 'not_found') return 'This study link is not valid';
  if (error.code === 'forbidden') return 'You cannot continue this study';
  if (error.code === 'conflict') return 'This study is not taking participants right now';
  return 'This study link is incomplete';
}

const STATUS: Partial<Record<ErrorValue['code'], number>> = { not_found: 404, forbidden: 403, conflict: 409 };

/** One plain refusal page: a title, one h1, a few sentences; every piece escaped. */
function refusalHtml(heading: string, sentences: string[], attributes: Record<string, string>): string {
  const attrs = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Sightline: ${escapeHtml(heading)}</title>`,
    `<main${attrs}>`,
    `<h1>${escapeHtml(heading)}</h1>`,
    ...sentences.map((sentence) => `<p>${escapeHtml(sentence)}</p>`),
    '</main></html>',
    '',
  ].join('\n');
}

/** The refusal page for an entry error (the busy case has its own self-reloading page in server.ts). */
export function entryRefusalPage(error: ErrorValue): { status: number; html: string } {
  const html = refusalHtml(
    headingOf(error),
    [
      `${error.message.charAt(0).toUpperCase() + error.message.slice(1)}.`,
      'No answers were changed. You can close this page.',
    ],
    { 'data-testid': 'entry-refused', 'data-code': error.code },
  );
  return { status: STATUS[error.code] ?? 400, html };
}

/**
 * The page for a rater link that leads nowhere (issue 15): what happened and whom to ask, in plain
 * words. 403 for a withdrawn link (it was real), 404 for one that never was.
 */
export function raterLinkRefusalPage(refusal: RaterLinkRefusal): { status: number; html: string } {
  const whom = refusal.contact ?? 'the person who sent you the link';
  const html =
    refusal.reason === 'withdrawn'
      ? refusalHtml(
          'This link has been withdrawn',
          [
            'The researcher running this study has withdrawn this rating link, so it no longer opens the study.',
            'Any answers you gave before are kept.',
            `If you think this is a mistake, ask ${whom} for a new link.`,
          ],
          { 'data-testid': 'link-refused', 'data-reason': refusal.reason },
        )
      : refusalHtml(
          'This link is not valid',
          [
            'This rating link does not lead to a study. It may have been copied incompletely, or it belongs to another study.',
            `Check that you copied the whole link, or ask ${whom} to send it again.`,
          ],
          { 'data-testid': 'link-refused', 'data-reason': refusal.reason },
        );
  return { status: refusal.reason === 'withdrawn' ? 403 : 404, html };
}
