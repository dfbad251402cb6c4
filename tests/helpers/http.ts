// Real HTTP against a real server on a real project: a server per test, raw sockets for the bytes a
// browser would never send, and plain requests that keep full control of the headers.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer, type ServerOptions } from '../../src-main/http/server';
import type { Project } from '../../src-main/project/project';
import { tempDir } from './factories';

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

/** A tiny renderer build (index.html and one asset) so static routes have something to serve. */
export function fakeRendererDir(): string {
  const dir = path.join(tempDir(), 'renderer');
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Sightline</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

export interface ServedProject extends RunningServer {
  researcherToken: string;
  /** Resolves once the server holds the slots of the API call carrying `X-Test-Request: id` and reads its body. */
  readingBody(id: string): Promise<void>;
}

export async function serveProject(project: Project, options: Partial<ServerOptions> = {}): Promise<ServedProject> {
  const researcherToken = options.researcherToken ?? crypto.randomUUID();
  const reading = new EventEmitter();
  const server = await startServer({
    project,
    events: new EventBus(),
    researcherToken,
    port: 0,
    staticDir: fakeRendererDir(),
    onBodyReading: (request) => reading.emit(String(request.headers['x-test-request'])),
    ...options,
  });
  running.push(server);
  return {
    ...server,
    researcherToken,
    readingBody: (id) => new Promise((resolve) => reading.once(id, () => resolve())),
  };
}

export interface RawAnswer {
  /** The status code of the first response, or null when the server sent none. */
  status: number | null;
  text: string;
}

/**
 * Writes bytes as they are on a fresh connection, half-closes it and collects what comes back until
 * the server closes (or `waitMs` passes). Nothing is checked or fixed on the way out.
 */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : null, text });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => socket.end(bytes));
  });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly the headers given (fetch would add Origin and refuses to set Host). */
export function request(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    // A server that answers early (413) may close before the whole body is written; the answer is what counts.
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** POST /api/<method> with the bearer token and a JSON body, as the renderer's client sends it. */
export function postApi(
  port: number,
  token: string,
  method: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<Answer & { json: any }> {
  const body = typeof input === 'string' ? input : JSON.stringify(input);
  return request(
    port,
    'POST',
    `/api/${method}`,
    { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, Host: `127.0.0.1:${port}`, ...headers },
    body,
  ).then((answer) => ({ ...answer, json: safeJson(answer.body) }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether the server still serves its page: the check after every hostile request. */
export async function stillServes(port: number): Promise<boolean> {
  const answer = await request(port, 'GET', '/', { Host: `127.0.0.1:${port}` });
  return answer.status === 200 && answer.body.includes('<title>Sightline</title>');
}

/**
 * Starts a request whose body never finishes, so it holds its slots (per token and across raters)
 * until destroyed. Resolves once the server says it holds them and reads the body (onBodyReading),
 * never after a guessed wait.
 */
export async function holdBody(server: ServedProject, token: string): Promise<http.ClientRequest> {
  const id = crypto.randomUUID();
  const reading = server.readingBody(id);
  const outgoing = http.request({
    host: '127.0.0.1',
    port: server.port,
    method: 'POST',
    path: '/api/rater.session',
    agent: false,
    headers: {
      Host: `127.0.0.1:${server.port}`,
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'Content-Length': 100,
      'X-Test-Request': id,
    },
  });
  outgoing.on('error', () => {});
  outgoing.write('{ ');
  await reading;
  return outgoing;
}
