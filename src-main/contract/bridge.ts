import type { MethodInput, MethodName, MethodOutput, Result } from './index';
import type { EventMap, EventName } from './types';

/**
 * The one object the Electron preload exposes as `window.sightline` (frozen, built from the
 * contract's method names). Inside Electron the role comes from the window that calls: the
 * researcher's window is the researcher (a rater token there is refused), a rater's window is that
 * rater, by a token main bound to it (the page need not pass one; another is refused). In a browser
 * the renderer uses HTTP instead, with the same shape.
 */
export interface SightlineBridge {
  methods: { [K in MethodName]: (input: MethodInput<K>, raterToken?: string) => Promise<Result<MethodOutput<K>>> };
  onEvent(listener: <K extends EventName>(name: K, payload: EventMap[K]) => void): () => void;
  /**
   * The desktop file picker (the researcher's window only): the path chosen, or null when cancelled
   * or refused. A browser has no such thing; the page shows a path field instead.
   */
  pickPath(kind: PathKind): Promise<string | null>;
}

/** What the picker picks: an SAE or sidecar file, or an SAE or delphi cache folder. */
export type PathKind = 'file' | 'folder';

export const PICK_PATH_CHANNEL = 'sightline-pick-path';

/** The IPC envelope each `sightline:<method>` channel carries. */
export interface IpcEnvelope {
  input: unknown;
  raterToken?: string;
}

export const IPC_EVENT_CHANNEL = 'sightline-event';
