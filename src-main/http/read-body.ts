import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read; a chunked body is refused as soon as it passes the limit, and what came
 * so far is dropped. Never rejects: a client that goes away mid-body is an 'aborted' result.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, reason: 'too_large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      request.removeListener('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        // Paused, not destroyed: the 413 still has to reach the client on this socket.
        request.pause();
        finish({ ok: false, reason: 'too_large' });
      } else chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    request.once('aborted', () => finish({ ok: false, reason: 'aborted' }));
    request.once('error', () => finish({ ok: false, reason: 'aborted' }));
    request.once('close', () => finish({ ok: false, reason: 'aborted' }));
  });
}
