import fs from 'node:fs/promises';
import type { Protocol } from 'electron';
import { contentTypeOf, rendererFileFor, securityHeaders } from '../http/static';
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

/** Which file a `sightline-app://app/...` URL names, or null when it names none we serve. */
export function fileForAppUrl(
  url: URL,
  options: AppProtocolOptions,
): { file: string; contentType: string; cache: string } | null {
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  const route = url.pathname;
  if (route.startsWith('/media/')) {
    const sha256 = route.slice('/media/'.length);
    // A rater partition may load only its rater's images; the store refuses a file whose real
    // path leaves media/ (issue 11: a planted symlink).
    if (options.mayServeMedia && !options.mayServeMedia(sha256)) return null;
    const media = options.project.media.servable(sha256);
    return media ? { file: media.file, contentType: media.mime, cache: 'private, max-age=31536000, immutable' } : null;
  }
  // The same resolver as the HTTP server: a malformed path is refused here as not found.
  const target = rendererFileFor(options.rendererDir, route);
  return target.status === 200
    ? { file: target.file, contentType: contentTypeOf(target.file), cache: target.cache }
    : null;
}

const notFound = (status = 404, text = 'not found'): Response =>
  new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders } });

/** Answers one request to the app scheme: a renderer file, a project image, or 404. */
export async function respondToAppRequest(
  request: Pick<Request, 'url' | 'method'>,
  options: AppProtocolOptions,
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return notFound(405, 'method not allowed');
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return notFound();
  }
  const target = fileForAppUrl(url, options);
  if (!target) return notFound();
  let bytes: Buffer;
  try {
    const stat = await fs.stat(target.file);
    if (!stat.isFile()) return notFound();
    bytes = await fs.readFile(target.file);
  } catch {
    return notFound();
  }
  const headers = { 'Content-Type': target.contentType, 'Cache-Control': target.cache, ...securityHeaders };
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(bytes), { status: 200, headers });
}

/** Serves the renderer and the project's media on `sightline-app://app/`; call after ready. */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, options: AppProtocolOptions): void {
  protocol.handle(APP_SCHEME, (request) => respondToAppRequest(request, options));
}
