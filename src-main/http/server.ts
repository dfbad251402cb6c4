import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EventBus } from '../api/events';
import { authenticate, dispatch } from '../api/dispatch';
import { leaseExpiries } from '../api/lease-expiry';
import type { ApiContext, Caller } from '../api/context';
import { RATER_EVENTS } from '../contract/types';
import type { Project } from '../project/project';
import { raterMaySeeMedia } from '../store/media';
import { rendererDir } from '../util/paths';
import { raterLinkRefusal } from '../domain/rater-link';
import type { ErrorCode } from '../util/errors';
import { raterLinkRefusalPage } from './entry-page';
import { linkHost } from './lan-address';
import {
  BODY_LIMIT_BYTES,
  CONCURRENT_BODIES_PER_TOKEN,
  EVENT_STREAMS_PER_TOKEN,
  RATER_BODIES_IN_FLIGHT,
  TokenSlots,
} from './limits';
import { readBody } from './read-body';
import { hostAllowed, originAllowed } from './request-guard';
import { answerSideRoute, errorAnswer, writeSideAnswer } from './side-routes';
import { securityHeaders } from './static';

export interface ServerOptions {
  project: Project;
  events: EventBus;
  researcherToken: string;
  host?: string;
  port?: number;
  /** Folder of the built renderer (index.html + assets). */
  staticDir?: string;
  /** Host names accepted besides this machine's addresses (`serve --allow-host`), e.g. a hostname or tunnel raters use. */
  allowedHosts?: readonly string[];
  /**
   * Told when an API call holds its slots and starts reading its body: tests that hold bodies open
   * wait for this instead of sleeping (issue 12: no assertion may race the clock).
   */
  onBodyReading?: (request: IncomingMessage) => void;
}

export interface RunningServer {
  /** The origin for links: the bound address, or the machine's network address when bound to every interface. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...securityHeaders,
    ...headers,
  });
  response.end(text);
};

/** A transport error as the same error value every bridge returns. */
const sendError = (
  response: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void => {
  const answer = errorAnswer(status, code, message, headers);
  response.writeHead(answer.status, answer.headers).end(answer.body);
};

function headerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * EventSource and <img> cannot set headers, so the event stream and media also accept ?token=.
 * Nowhere else: a token in a URL ends up in logs and history.
 */
const headerOrQueryToken = (request: IncomingMessage, url: URL): string | undefined =>
  headerToken(request) ?? url.searchParams.get('token') ?? undefined;

/** Methods that change nothing; every other request must pass the Origin check. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * The HTTP bridge: POST /api/<method> maps to the same handlers as IPC; GET /api/events streams
 * events as server-sent events; /media/<sha256> serves project images; everything else is the
 * renderer. Binds 127.0.0.1 unless told otherwise. No request, whatever its bytes, ends the process
 * (issue 11): malformed paths get 400, and anything a handler throws is logged and answered 500.
 */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const { project, events, researcherToken } = options;
  const staticDir = options.staticDir ?? rendererDir();
  const bound = options.host ?? '127.0.0.1';
  const base = { project, events };
  const whoIs = (token: string | undefined): Caller | null => authenticate(base, token, researcherToken);
  const bodies = new TokenSlots();
  const streams = new TokenSlots();
  // One shared key: the slots every rater token draws from together.
  const raterPool = new TokenSlots();
  const ALL_RATERS = 'all raters';
  let port = 0;
  // Leases still open from before a restart get their expiry events too.
  leaseExpiries(base).rearm();

  async function handleApi(request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
    if (request.method !== 'POST') return sendError(response, 405, 'invalid_input', 'use POST');
    const token = headerToken(request);
    const caller = whoIs(token);
    if (!caller || !token) return sendError(response, 401, 'unauthorized', 'missing, unknown or revoked token');
    const release = bodies.take(token, CONCURRENT_BODIES_PER_TOKEN[caller.role]);
    if (!release)
      return sendError(
        response,
        429,
        'too_many_requests',
        `at most ${CONCURRENT_BODIES_PER_TOKEN[caller.role]} calls at once per token`,
        { 'Retry-After': '1' },
      );
    response.once('close', release);
    if (caller.role === 'rater') {
      const releasePool = raterPool.take(ALL_RATERS, RATER_BODIES_IN_FLIGHT);
      if (!releasePool)
        return sendError(
          response,
          429,
          'too_many_requests',
          `at most ${RATER_BODIES_IN_FLIGHT} rater calls at once across all raters; try again in a moment`,
          { 'Retry-After': '1' },
        );
      response.once('close', releasePool);
    }
    options.onBodyReading?.(request);
    const body = await readBody(request, BODY_LIMIT_BYTES[caller.role]);
    if (!body.ok) {
      if (body.reason === 'too_large') {
        // Stop reading: the client gets its answer, then the connection goes (Node drains no further).
        return sendError(
          response,
          413,
          'too_large',
          `request body: at most ${BODY_LIMIT_BYTES[caller.role]} bytes for a ${caller.role} token`,
          { Connection: 'close' },
        );
      }
      return; // the client went away mid-body: nobody to answer
    }
    let input: unknown;
    try {
      input = body.text ? JSON.parse(body.text) : {};
    } catch (error) {
      return sendError(response, 400, 'invalid_input', `request body: expected JSON (${(error as Error).message})`);
    }
    const context: ApiContext = { ...base, caller };
    const result = await dispatch(name, input, context);
    // Errors are values: the status stays 200 so every client handles one shape.
    sendJson(response, 200, result);
  }

  function handleEvents(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const token = headerOrQueryToken(request, url);
    const caller = whoIs(token);
    if (!caller || !token) return sendError(response, 401, 'unauthorized', 'missing, unknown or revoked token');
    const release = streams.take(token, EVENT_STREAMS_PER_TOKEN[caller.role]);
    if (!release)
      return sendError(
        response,
        429,
        'too_many_requests',
        `at most ${EVENT_STREAMS_PER_TOKEN[caller.role]} event streams at once per token`,
        { 'Retry-After': '5' },
      );
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      ...securityHeaders,
    });
    response.write(': connected\n\n');
    const allowed = (name: string) =>
      caller.role === 'researcher' || (RATER_EVENTS as readonly string[]).includes(name);
    const unsubscribe = events.subscribe((name, payload) => {
      if (allowed(name)) response.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 25_000);
    response.once('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      release();
    });
  }

  /**
   * A rater link whose token names nobody, or a revoked rater, gets a page that says so (issue 15).
   * Without a token the page itself explains (it may hold one from earlier in this tab); the
   * researcher's token opens the researcher view as before.
   */
  function refusedRaterLink(url: URL): { status: number; html: string } | null {
    const token = url.searchParams.get('token');
    if (!token || whoIs(token)) return null;
    return raterLinkRefusalPage(raterLinkRefusal(project.db, token) ?? { reason: 'not_valid', contact: null });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a foreign name resolved to this address is refused on every route.
    if (!hostAllowed(request.headers.host, { bound, port, allowedHosts: options.allowedHosts })) {
      return sendError(response, 403, 'forbidden', 'this server does not answer to that Host name');
    }
    if (!SAFE_METHODS.has(request.method ?? '') && !originAllowed(request.headers.origin, request.headers.host)) {
      return sendError(response, 403, 'forbidden', 'cross-origin requests are refused');
    }
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      return sendError(response, 400, 'invalid_input', 'malformed request target');
    }
    const route = url.pathname;
    if (route.startsWith('/api/events')) return handleEvents(request, response, url);
    if (route.startsWith('/api/')) return handleApi(request, response, route.slice('/api/'.length));
    // Pages, images and entry links: the same answers as the Electron app scheme (side-routes.ts).
    const answer = answerSideRoute(request.method ?? '', url, {
      project,
      rendererDir: staticDir,
      entryLinks: true,
      refusedRaterLink,
      mediaAccess: () => {
        const caller = whoIs(headerOrQueryToken(request, url));
        if (!caller) return 'none';
        return caller.role === 'researcher'
          ? 'all'
          : { may: (sha256) => raterMaySeeMedia(project.db, caller.rater.id, sha256) };
      },
    });
    await writeSideAnswer(request, response, answer);
  }

  /** The last resort: whatever a request made throw is logged and answered, and the server keeps serving. */
  function failed(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    console.error(`sightline: ${request.method} ${JSON.stringify(request.url).slice(0, 200)} failed:`, error);
    if (!response.headersSent) sendError(response, 500, 'internal', 'the server failed on this request; see its log');
    else response.destroy();
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error) => failed(request, response, error));
  });
  // Keep-alive sockets (e.g. SSE) must not hold close() forever.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bound, () => {
      port = (server.address() as AddressInfo).port;
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
