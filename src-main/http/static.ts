import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from './csp';

/** Content types of what the renderer build and the media store hold; shared with the Electron app protocol. */
export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.woff2': 'font/woff2',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

export const contentTypeOf = (file: string): string =>
  CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export const securityHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A renderer file to serve, or the status that refuses the path: 400 when it is malformed, 404 when it names nothing we serve. */
export type RendererTarget = { status: 200; file: string; cache: string } | { status: 400 | 404 };

/**
 * Which file of the renderer build a URL path names. The one resolver for the HTTP server and the
 * Electron app scheme (issue 11: two copies drifted and only one survived `%ff`). It never throws:
 * any bytes a client sends end in a status.
 */
export function rendererFileFor(rendererDir: string, urlPath: string): RendererTarget {
  // The renderer routes on the client; both of its entry paths are the one index.html.
  if (urlPath === '/' || urlPath === '/rate' || urlPath === '/index.html')
    return { status: 200, file: path.join(rendererDir, 'index.html'), cache: 'no-cache' };
  const file = safeJoin(rendererDir, urlPath);
  if (file === 'malformed') return { status: 400 };
  if (!file) return { status: 404 };
  return { status: 200, file, cache: urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache' };
}

/**
 * Resolves a URL path inside a root folder: null when it escapes the root, 'malformed' when it does
 * not decode (a bad %-escape, which decodeURIComponent throws on) or holds a NUL byte (which every
 * fs call throws on).
 */
export function safeJoin(root: string, urlPath: string): string | null | 'malformed' {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return 'malformed';
  }
  if (decoded.includes('\0')) return 'malformed';
  // Backslashes are separators on Windows, so `..\` must not slip past the posix normalisation.
  const resolved = path.resolve(root, `.${path.posix.normalize(`/${decoded.replace(/\\/g, '/')}`)}`);
  return resolved.startsWith(path.resolve(root) + path.sep) ? resolved : null;
}

/**
 * Opens a file to serve: null when it is missing, not a regular file, or its name holds a NUL byte
 * (which every fs call throws on). Both adapters send from this one descriptor, so a file swapped
 * after the check is not what is sent.
 */
export async function openServedFile(file: string): Promise<{ handle: FileHandle; size: number } | null> {
  if (file.includes('\0')) return null;
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile()) return { handle, size: stat.size };
  } catch {
    // unreadable: answered as not found below
  }
  await handle.close().catch(() => {});
  return null;
}
