import crypto from 'node:crypto';
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { ApiContext } from '../api/context';
import { authenticate, dispatch } from '../api/dispatch';
import type { EventBus } from '../api/events';
import { IPC_PREFIX, methodNames, type MethodName, type Result } from '../contract';
import { IPC_EVENT_CHANNEL, type IpcEnvelope } from '../contract/bridge';
import type { Project } from '../project/project';
import { isAppUrl } from './origin';

/** Runs one method for one envelope: resolves the caller from the envelope, then dispatches. */
export type IpcDispatcher = (name: MethodName, envelope: IpcEnvelope) => Promise<Result<unknown>>;

export interface IpcBridgeOptions {
  dispatchFor: IpcDispatcher;
  /** Whether an invoke comes from our window's main frame showing our own origin. */
  isTrustedFrame(event: IpcMainInvokeEvent): boolean;
}

const refused = (code: 'forbidden' | 'invalid_input', message: string): Result<never> => ({ ok: false, error: { code, message } });

function asEnvelope(value: unknown): IpcEnvelope | null {
  if (value === undefined) return { input: {} };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { input, raterToken } = value as Record<string, unknown>;
  if (raterToken !== undefined && typeof raterToken !== 'string') return null;
  return raterToken === undefined ? { input } : { input, raterToken };
}

/**
 * The IPC bridge: one `ipcMain.handle('sightline:<method>')` per contract method, nothing else.
 * A message from any frame but our window's main frame on our origin is refused before it reaches
 * dispatch: a compromised or injected subframe must not be able to drive the researcher's API.
 * Returns the channels it registered.
 */
export function registerIpcBridge(ipcMain: Pick<IpcMain, 'handle'>, options: IpcBridgeOptions): string[] {
  return methodNames.map((name) => {
    const channel = `${IPC_PREFIX}${name}`;
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, rawEnvelope: unknown): Promise<Result<unknown>> => {
      if (!options.isTrustedFrame(event)) {
        return refused('forbidden', `${channel}: refused a call from a frame that is not Sightline's main window`);
      }
      const envelope = asEnvelope(rawEnvelope);
      if (!envelope) return refused('invalid_input', `${channel}: expected {input, raterToken?} with raterToken a string`);
      return options.dispatchFor(name, envelope);
    });
    return channel;
  });
}

/**
 * Dispatches against one open project. Inside Electron the shell itself holds the researcher role,
 * so a call without a token is the researcher's. A rater token (local rater profiles on this
 * machine) makes the call that rater's and nothing more: an unknown or revoked token is refused.
 */
export function projectDispatcher(base: { project: Project; events: EventBus }): IpcDispatcher {
  // The researcher never needs a token over IPC; this one exists only to satisfy authenticate and
  // is never shown to the renderer, so no envelope token can match it.
  const unusedResearcherToken = crypto.randomBytes(32).toString('base64url');
  return async (name, envelope) => {
    let context: ApiContext;
    if (envelope.raterToken === undefined) {
      context = { ...base, caller: { role: 'researcher' } };
    } else {
      const caller = authenticate(base, envelope.raterToken, unusedResearcherToken);
      if (!caller || caller.role !== 'rater') {
        return { ok: false, error: { code: 'unauthorized', message: `${name}: unknown or revoked rater token` } };
      }
      context = { ...base, caller };
    }
    return dispatch(name, envelope.input, context);
  };
}

/**
 * The frame check for the one main window: the sender must be that window's WebContents, the
 * frame its top-level frame (no subframes, VS Code refuses those too), and the frame's URL on the
 * app's origin. `senderFrame` is null once the frame navigated away or died: refused as well.
 */
export function trustedFrameOf(currentWindow: () => Pick<BrowserWindow, 'webContents'> | null): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const window = currentWindow();
    const frame = event.senderFrame;
    if (!window || !frame) return false;
    return event.sender === window.webContents && frame.parent === null && isAppUrl(frame.url);
  };
}

/** Forwards every EventBus event to a window; returns the unsubscribe. */
export function forwardEvents(events: EventBus, webContents: Pick<WebContents, 'send' | 'isDestroyed'>): () => void {
  return events.subscribe((name, payload) => {
    if (!webContents.isDestroyed()) webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
}
