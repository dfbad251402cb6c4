// The renderer's one client. It speaks IPC through the preload's `window.sightline` inside
// Electron, and HTTP + server-sent events in a browser; both give the same typed `call`.
import type { EventMap, EventName, MethodInput, MethodName, MethodOutput, Result } from '../../../src-main/contract';
import type { PathKind, SightlineBridge } from '../../../src-main/contract/bridge';
export type { PathKind };
import type { Role } from './token';

/** An error value from the API (or the transport), thrown by `call`. */
export class ApiError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }
}

export type EventHandler<K extends EventName> = (payload: EventMap[K]) => void;

export interface Client {
  readonly mode: 'ipc' | 'http';
  readonly role: Role;
  call<K extends MethodName>(name: K, input: MethodInput<K>): Promise<MethodOutput<K>>;
  onEvent<K extends EventName>(name: K, handler: EventHandler<K>): () => void;
  /** URL of a content-addressed media file (image), usable in <img src>. */
  mediaUrl(sha256: string): string;
  /** The desktop file picker (Electron only); absent in a browser, where the page asks for a path. */
  readonly pickPath?: (kind: PathKind) => Promise<string | null>;
}

export interface ClientOptions {
  role: Role;
  token: string | null;
  bridge?: SightlineBridge;
  fetchImpl?: typeof fetch;
  eventSourceImpl?: typeof EventSource;
}

function unwrap<T>(result: Result<T>): T {
  if (result && result.ok === true) return result.value;
  if (result && result.ok === false && result.error) {
    throw new ApiError(result.error.code, result.error.message, result.error.details);
  }
  throw new ApiError('bad_response', 'The server sent an answer in an unexpected shape.');
}

export function createClient(options: ClientOptions): Client {
  return options.bridge ? ipcClient(options.bridge, options) : httpClient(options);
}

function ipcClient(bridge: SightlineBridge, options: ClientOptions): Client {
  // Inside Electron researcher calls need no token; a local rater profile passes its rater token.
  const raterToken = options.role === 'rater' ? (options.token ?? undefined) : undefined;
  return {
    mode: 'ipc',
    role: options.role,
    async call(name, input) {
      const invoke = bridge.methods[name] as unknown as (input: unknown, raterToken?: string) => Promise<Result<never>>;
      return unwrap(await invoke(input, raterToken));
    },
    onEvent(name, handler) {
      return bridge.onEvent((eventName, payload) => {
        if ((eventName as EventName) === (name as EventName)) handler(payload as unknown as EventMap[typeof name]);
      });
    },
    mediaUrl: (sha256) => `/media/${encodeURIComponent(sha256)}`,
    pickPath: (kind) => bridge.pickPath(kind),
  };
}

function httpClient(options: ClientOptions): Client {
  const fetchImpl = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const token = options.token ?? '';
  let source: EventSource | null = null;
  const eventSource = (): EventSource => {
    if (!source) {
      const Impl = options.eventSourceImpl ?? EventSource;
      // EventSource cannot send headers, so the server accepts ?token= on this one route.
      source = new Impl(`/api/events?token=${encodeURIComponent(token)}`);
    }
    return source;
  };
  return {
    mode: 'http',
    role: options.role,
    async call(name, input) {
      let response: Response;
      try {
        response = await fetchImpl(`/api/${name}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify(input ?? {}),
        });
      } catch (error) {
        throw new ApiError('network', `Could not reach the Sightline server (${(error as Error).message}).`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new ApiError('bad_response', `The server answered ${response.status} without JSON.`);
      }
      return unwrap(body as Result<never>);
    },
    onEvent(name, handler) {
      const listener = (event: MessageEvent) => {
        try {
          handler(JSON.parse(String(event.data)) as EventMap[typeof name]);
        } catch {
          // A malformed event is dropped; the next one carries the full state again.
        }
      };
      const es = eventSource();
      es.addEventListener(name, listener as EventListener);
      return () => es.removeEventListener(name, listener as EventListener);
    },
    mediaUrl: (sha256) => `/media/${encodeURIComponent(sha256)}?token=${encodeURIComponent(token)}`,
  };
}

// ---- The app's client, set once at start-up by main.ts ------------------------------------------

let current: Client | null = null;

export function setClient(client: Client): void {
  current = client;
}

export function client(): Client {
  if (!current) throw new Error('client used before setClient()');
  return current;
}

export const call = <K extends MethodName>(name: K, input: MethodInput<K>): Promise<MethodOutput<K>> =>
  client().call(name, input);
export const onEvent = <K extends EventName>(name: K, handler: EventHandler<K>): (() => void) =>
  client().onEvent(name, handler);
export const mediaUrl = (sha256: string): string => client().mediaUrl(sha256);

export interface BusyRetry {
  /** tries in all, the first included (default 6; each already waits up to 5 s for the lock on the server) */
  attempts?: number;
  /** pause between tries (default 500 ms) */
  delayMs?: number;
  /** told before each pause, e.g. to say on screen that the answer is being retried */
  onWait?: (attempt: number) => void;
}

/** Errors that mean "nothing was done, try again shortly". */
const RETRYABLE = new Set(['busy', 'too_many_requests']);

/**
 * Runs `attempt`, and while it fails with `busy` (project.sqlite locked by another process, e.g. a
 * mine's last step) or `too_many_requests` (the server's cap on calls at once per token, e.g. several
 * tabs) pauses and runs it again. For calls that write nothing when they fail that way: the rater's
 * next, submit, skip, undo and flag.
 */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, options: BusyRetry = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ApiError && RETRYABLE.has(error.code)) || tried >= attempts) throw error;
      options.onWait?.(tried);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 500));
    }
  }
}

/** A sentence for the screen from anything a call threw. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
