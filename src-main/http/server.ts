import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { EventBus } from '../api/events';
import { authenticate, dispatch } from '../api/dispatch';
import { leaseExpiries } from '../api/lease-expiry';
import type { ApiContext, Caller } from '../api/context';
import { RATER_EVENTS } from '../contract/types';
import type { Project } from '../project/project';
import { rendererDir } from '../util/paths';
import { enterCampaign } from '../domain/entry';
import { entryRefusalPage } from './entry-page';
import { toErrorValue } from '../util/errors';
import { linkHost } from './lan-address';
import { raterMaySeeMedia } from './media-access';
import { safeJoin, securityHeaders, sendFile } from './static';

export interface ServerOptions {
  project: Project;
  events: EventBus;
  researcherToken: string;
  host?: string;
  port?: number;
  /** Folder of the built renderer (index.html + assets). */
  staticDir?: string;
}

export interface RunningServer {
  /** The origin for links: the bound address, or the machine's network address when bound to every interface. */
  url: string;
  port: number;
  close(): Promise<void>;
}

// Item files for new campaigns arrive as text in the body.
const MAX_BODY_BYTES = 64 << 20;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const sendJson = (response: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...securityHeaders });
  response.end(text);
};

function bearerToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  // EventSource and <img> cannot set headers, so those two routes also accept ?token=.
  return url.searchParams.get('token') ?? undefined;
}

/**
 * The HTTP bridge: POST /api/<method> maps to the same handlers as IPC; GET /api/events streams
 * events as server-sent events; /media/<sha256> serves project images; everything else is the
 * renderer. Binds 127.0.0.1 unless told otherwise.
 */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const { project, events, researcherToken } = options;
  const staticDir = options.staticDir ?? rendererDir();
  const base = { project, events };
  const whoIs = (token: string | undefined): Caller | null => authenticate(base, token, researcherToken);
  // Leases still open from before a restart get their expiry events too.
  leaseExpiries(base).rearm();

  async function handleApi(request: IncomingMessage, response: ServerResponse, name: string, url: URL): Promise<void> {
    if (request.method !== 'POST') return sendJson(response, 405, { ok: false, error: { code: 'invalid_input', message: 'use POST' } });
    const caller = whoIs(bearerToken(request, url));
    if (!caller) return sendJson(response, 401, { ok: false, error: { code: 'unauthorized', message: 'missing, unknown or revoked token' } });
    let input: unknown;
    try {
      const body = await readBody(request);
      input = body ? JSON.parse(body) : {};
    } catch (error) {
      return sendJson(response, 400, { ok: false, error: { code: 'invalid_input', message: `request body: expected JSON (${(error as Error).message})` } });
    }
    const context: ApiContext = { ...base, caller };
    const result = await dispatch(name, input, context);
    // Errors are values: the status stays 200 so every client handles one shape.
    sendJson(response, 200, result);
  }

  function handleEvents(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const caller = whoIs(bearerToken(request, url));
    if (!caller) return sendJson(response, 401, { ok: false, error: { code: 'unauthorized', message: 'missing, unknown or revoked token' } });
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...securityHeaders });
    response.write(': connected\n\n');
    const allowed = (name: string) => caller.role === 'researcher' || (RATER_EVENTS as readonly string[]).includes(name);
    const unsubscribe = events.subscribe((name, payload) => {
      if (allowed(name)) response.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 25_000);
    request.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  function handleMedia(request: IncomingMessage, response: ServerResponse, sha256: string, url: URL): void {
    const caller = whoIs(bearerToken(request, url));
    const file = /^[0-9a-f]{64}$/.test(sha256) ? project.media.pathOf(sha256) : undefined;
    const allowed = caller && (caller.role === 'researcher' || raterMaySeeMedia(project.db, caller.rater.id, sha256));
    if (!allowed || !file) return sendJson(response, 404, { ok: false, error: { code: 'not_found', message: 'no such media' } });
    sendFile(response, file, 'private, max-age=31536000, immutable');
  }

  /** Prolific-style entry link: creates (or finds) the participant and redirects to their rater link. */
  function handleEntry(response: ServerResponse, entryKey: string, url: URL): void {
    try {
      const param = (name: string) => url.searchParams.get(name) ?? '';
      const rater = enterCampaign(project.db, entryKey, { prolificPid: param('PROLIFIC_PID'), studyId: param('STUDY_ID'), sessionId: param('SESSION_ID') });
      response.writeHead(303, { Location: `/rate?token=${encodeURIComponent(rater.token)}`, 'Cache-Control': 'no-store', ...securityHeaders }).end();
    } catch (error) {
      const value = toErrorValue(error);
      if (value.code === 'busy') {
        // Another process holds the project's write lock for a few seconds (a mine's swap): the page reloads itself.
        response
          .writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': '5', 'Cache-Control': 'no-store', ...securityHeaders })
          .end('<!doctype html><meta http-equiv="refresh" content="5"><title>Sightline</title><p>The study is busy for a moment; this page tries again in 5 seconds.</p>\n');
        return;
      }
      const page = entryRefusalPage(value);
      response.writeHead(page.status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...securityHeaders }).end(page.html);
    }
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = url.pathname;
    if (route.startsWith('/api/events')) return handleEvents(request, response, url);
    if (route.startsWith('/api/')) {
      handleApi(request, response, route.slice('/api/'.length), url).catch((error) =>
        sendJson(response, 500, { ok: false, error: { code: 'internal', message: String(error) } }),
      );
      return;
    }
    if (route.startsWith('/enter/')) return handleEntry(response, route.slice('/enter/'.length), url);
    if (route.startsWith('/media/')) return handleMedia(request, response, route.slice('/media/'.length), url);
    if (route === '/' || route === '/rate' || route === '/index.html') return sendFile(response, path.join(staticDir, 'index.html'));
    const file = safeJoin(staticDir, route);
    if (!file) return sendJson(response, 404, { ok: false, error: { code: 'not_found', message: 'not found' } });
    sendFile(response, file, route.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
  // Keep-alive sockets (e.g. SSE) must not hold close() forever.
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const host = linkHost(options.host);
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
