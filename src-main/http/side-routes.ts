// The side routes: what the HTTP server and the Electron app scheme serve besides the API: the
// renderer build, project images (/media/<sha256>) and Prolific entry links (/enter/<key>). One
// implementation decides each answer (status, headers with the CSP and content type, which file,
// who may see which image) and each adapter only writes it out: server.ts to a Node response,
// shell/app-protocol.ts to a fetch Response (issue 12: the two copies had drifted apart).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Project } from '../project/project';
import { enterCampaign } from '../domain/entry';
import { toErrorValue, type ErrorCode } from '../util/errors';
import { entryRefusalPage } from './entry-page';
import { contentTypeOf, openServedFile, rendererFileFor, securityHeaders } from './static';

/** Which project images the asker may load: every one (the researcher), those `may` allows (a rater), or none (no valid token). */
export type MediaAccess = 'all' | 'none' | { may: (sha256: string) => boolean };

export interface SideRouteContext {
  project: Project;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  /** Asked only on /media/ routes, so a request for a page never looks a token up. */
  mediaAccess: () => MediaAccess;
  /** Whether /enter/<key> admits participants here: the LAN server does; the desktop app has no study links. */
  entryLinks: boolean;
  /**
   * The page for a rater link that no longer works (issue 15: an unknown or revoked token gets a page
   * saying so and whom to ask), or null to serve the rater page. Only the LAN server has rater links.
   */
  refusedRaterLink?: (url: URL) => { status: number; html: string } | null;
}

export type SideAnswer =
  /** A file to send with these headers (the adapter adds Content-Length once it has opened it). */
  | { status: 200; file: string; headers: Record<string, string> }
  | { status: number; file?: undefined; headers: Record<string, string>; body: string };

const MEDIA_CACHE = 'private, max-age=31536000, immutable';

/** The error value every bridge returns, as a side-route answer. */
export function errorAnswer(
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): SideAnswer & { file?: undefined } {
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...securityHeaders,
      ...headers,
    },
    body: JSON.stringify({ ok: false, error: { code, message } }),
  };
}

const fileAnswer = (file: string, cache: string, contentType = contentTypeOf(file)): SideAnswer => ({
  status: 200,
  file,
  headers: { 'Content-Type': contentType, 'Cache-Control': cache, ...securityHeaders },
});

const htmlAnswer = (status: number, body: string, headers: Record<string, string> = {}): SideAnswer => ({
  status,
  headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...securityHeaders, ...headers },
  body,
});

function mediaAnswer(sha256: string, context: SideRouteContext): SideAnswer {
  const access = context.mediaAccess();
  const allowed = access === 'all' || (access !== 'none' && access.may(sha256));
  // The store resolves the real path and refuses one outside media/ (issue 11: a planted symlink).
  const media = allowed ? context.project.media.servable(sha256) : undefined;
  // Not allowed and not there answer alike, so a rater cannot probe which images exist.
  return media ? fileAnswer(media.file, MEDIA_CACHE, media.mime) : errorAnswer(404, 'not_found', 'no such media');
}

/** Prolific-style entry link: creates (or finds) the participant and redirects to their rater link. */
function entryAnswer(entryKey: string, query: URLSearchParams, project: Project): SideAnswer {
  try {
    const param = (name: string) => query.get(name) ?? '';
    const rater = enterCampaign(project.db, entryKey, {
      prolificPid: param('PROLIFIC_PID'),
      studyId: param('STUDY_ID'),
      sessionId: param('SESSION_ID'),
    });
    return {
      status: 303,
      headers: {
        Location: `/rate?token=${encodeURIComponent(rater.token)}`,
        'Cache-Control': 'no-store',
        ...securityHeaders,
      },
      body: '',
    };
  } catch (error) {
    const value = toErrorValue(error);
    if (value.code === 'busy')
      // Another process holds the project's write lock for a few seconds (a mine's swap): the page reloads itself.
      return htmlAnswer(
        503,
        '<!doctype html><meta http-equiv="refresh" content="5"><title>Sightline</title><p>The study is busy for a moment; this page tries again in 5 seconds.</p>\n',
        { 'Retry-After': '5' },
      );
    const page = entryRefusalPage(value);
    return htmlAnswer(page.status, page.html);
  }
}

/**
 * The answer to a side-route request. It never throws for what a client sends: a malformed path is
 * 400, anything not served 404, a method other than GET or HEAD 405.
 */
export function answerSideRoute(method: string, url: URL, context: SideRouteContext): SideAnswer {
  if (method !== 'GET' && method !== 'HEAD')
    return errorAnswer(405, 'invalid_input', 'use GET', { Allow: 'GET, HEAD' });
  const route = url.pathname;
  if (route === '/rate' && context.refusedRaterLink) {
    const refusal = context.refusedRaterLink(url);
    if (refusal) return htmlAnswer(refusal.status, refusal.html);
  }
  if (route.startsWith('/media/')) return mediaAnswer(route.slice('/media/'.length), context);
  if (route.startsWith('/enter/'))
    return context.entryLinks
      ? entryAnswer(route.slice('/enter/'.length), url.searchParams, context.project)
      : errorAnswer(404, 'not_found', 'not found');
  const target = rendererFileFor(context.rendererDir, route);
  if (target.status === 200) return fileAnswer(target.file, target.cache);
  return target.status === 400
    ? errorAnswer(400, 'invalid_input', 'malformed path')
    : errorAnswer(404, 'not_found', 'not found');
}

/**
 * The HTTP adapter: writes an answer to a Node response, streaming a file from one open descriptor;
 * a read error ends the response instead of the process.
 */
export async function writeSideAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  answer: SideAnswer,
): Promise<void> {
  const head = request.method === 'HEAD';
  if (answer.file === undefined) {
    response.writeHead(answer.status, answer.headers).end(head ? undefined : answer.body);
    return;
  }
  const opened = await openServedFile(answer.file);
  if (!opened) return writeSideAnswer(request, response, errorAnswer(404, 'not_found', 'not found'));
  response.writeHead(200, { ...answer.headers, 'Content-Length': String(opened.size) });
  if (head) {
    await opened.handle.close().catch(() => {});
    response.end();
    return;
  }
  // pipeline closes the descriptor and the response on any error (a client gone mid-file included).
  pipeline(opened.handle.createReadStream(), response, () => {});
}
