// The page a Prolific participant sees when their study link is refused (/enter/<key>): a short,
// plain HTML page that says what happened and what to do, instead of a bare error line. The
// message is ours, but it is escaped anyway: the page must never render anything as markup.
import { SESSION_MISMATCH, STUDY_FULL } from '../domain/entry';
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

/** The refusal page for an entry error (the busy case has its own self-reloading page in server.ts). */
export function entryRefusalPage(error: ErrorValue): { status: number; html: string } {
  const heading = escapeHtml(headingOf(error));
  const html = [
    '<!doctype html>',
    '<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Sightline: ${heading}</title>`,
    `<main data-testid="entry-refused" data-code="${escapeHtml(error.code)}">`,
    `<h1>${heading}</h1>`,
    `<p>${escapeHtml(error.message.charAt(0).toUpperCase() + error.message.slice(1))}.</p>`,
    '<p>No answers were changed. You can close this page.</p>',
    '</main></html>',
    '',
  ].join('\n');
  return { status: STATUS[error.code] ?? 400, html };
}
