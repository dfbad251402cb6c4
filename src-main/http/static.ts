import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
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

export const securityHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Serves a file with its type and the security headers; 404 if missing. */
export function sendFile(response: ServerResponse, file: string, cache = 'no-cache'): void {
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) {
      response.writeHead(404, { 'Content-Type': 'text/plain', ...securityHeaders }).end('not found');
      return;
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': cache,
      ...securityHeaders,
    });
    fs.createReadStream(file).pipe(response);
  });
}

/** Resolves a URL path inside a root folder, refusing anything that escapes it. */
export function safeJoin(root: string, urlPath: string): string | null {
  const resolved = path.resolve(root, `.${path.posix.normalize(decodeURIComponent(urlPath))}`);
  return resolved.startsWith(path.resolve(root) + path.sep) ? resolved : null;
}
