import type { Protocol } from 'electron';
import { answerSideRoute, errorAnswer, type SideAnswer } from '../http/side-routes';
import { openServedFile } from '../http/static';
import type { Project } from '../project/project';
import { APP_HOST, APP_SCHEME } from './origin';

/**
 * Registers `sightline-app:` as a standard, secure scheme so pages served from it get a real
 * origin, a secure context and fetch(). Electron only accepts this before `app` is ready.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

export interface AppProtocolOptions {
  project: Project;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  /**
   * Which project images this session may load; absent for the researcher's session, which may
   * load every one. A rater partition passes the same rule as the HTTP bridge (their own items).
   */
  mayServeMedia?: (sha256: string) => boolean;
}

/** Whether a URL is on the app's own origin, the one place the scheme serves. */
const onAppOrigin = (url: URL): boolean => url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;

/** The Electron adapter: a side-route answer as a fetch Response (the HTTP server writes the same answers). */
async function toResponse(answer: SideAnswer, head: boolean): Promise<Response> {
  if (answer.file === undefined)
    return new Response(head || answer.body === '' ? null : answer.body, {
      status: answer.status,
      headers: answer.headers,
    });
  const opened = await openServedFile(answer.file);
  if (!opened) return toResponse(errorAnswer(404, 'not_found', 'not found'), head);
  let bytes: Buffer;
  try {
    bytes = head ? Buffer.alloc(0) : await opened.handle.readFile();
  } catch {
    return toResponse(errorAnswer(404, 'not_found', 'not found'), head);
  } finally {
    await opened.handle.close().catch(() => {});
  }
  return new Response(head ? null : new Uint8Array(bytes), {
    status: 200,
    headers: { ...answer.headers, 'Content-Length': String(head ? opened.size : bytes.length) },
  });
}

/** Answers one request to the app scheme: a renderer file, a project image, or the same refusals as HTTP. */
export async function respondToAppRequest(
  request: Pick<Request, 'url' | 'method'>,
  options: AppProtocolOptions,
): Promise<Response> {
  const head = request.method === 'HEAD';
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return toResponse(errorAnswer(400, 'invalid_input', 'malformed request target'), head);
  }
  if (!onAppOrigin(url)) return toResponse(errorAnswer(404, 'not_found', 'not found'), head);
  const answer = answerSideRoute(request.method, url, {
    project: options.project,
    rendererDir: options.rendererDir,
    // The desktop app has no Prolific study links: those are for the LAN server.
    entryLinks: false,
    // A rater partition may load only its rater's images (the same rule as a rater token over HTTP).
    mediaAccess: () => (options.mayServeMedia ? { may: options.mayServeMedia } : 'all'),
  });
  return toResponse(answer, head);
}

/** Serves the renderer and the project's media on `sightline-app://app/`; call after ready. */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, options: AppProtocolOptions): void {
  protocol.handle(APP_SCHEME, (request) => respondToAppRequest(request, options));
}
