import crypto from 'node:crypto';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { ApiContext } from '../api/context';
import { authenticate, dispatch } from '../api/dispatch';
import type { EventBus } from '../api/events';
import { IPC_PREFIX, methodNames, type MethodName, type Result } from '../contract';
import { IPC_EVENT_CHANNEL, type IpcEnvelope } from '../contract/bridge';
import { RATER_EVENTS } from '../contract/types';
import type { Project } from '../project/project';
import type { RaterRecord } from '../store/raters';
import { secretsEqual } from '../util/secret-equal';
import type { WindowRole } from './window-roles';

/** Runs one method for one envelope, as the role of the window that sent it. */
export type IpcDispatcher = (name: MethodName, role: WindowRole, envelope: IpcEnvelope) => Promise<Result<unknown>>;

export interface IpcBridgeOptions {
  dispatchFor: IpcDispatcher;
  /** The role of the window an invoke came from, or null to refuse it (see WindowRoles.roleOf). */
  roleOf(event: IpcMainInvokeEvent): WindowRole | null;
}

const refused = (code: 'forbidden' | 'invalid_input' | 'unauthorized', message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});

function asEnvelope(value: unknown): IpcEnvelope | null {
  if (value === undefined) return { input: {} };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { input, raterToken } = value as Record<string, unknown>;
  if (raterToken !== undefined && typeof raterToken !== 'string') return null;
  return raterToken === undefined ? { input } : { input, raterToken };
}

/**
 * The IPC bridge: one `ipcMain.handle('sightline:<method>')` per contract method, nothing else.
 * A message from a window main gave no role, or from any frame but that window's main frame on
 * our origin, is refused before it reaches dispatch. Returns the channels it registered.
 */
export function registerIpcBridge(ipcMain: Pick<IpcMain, 'handle'>, options: IpcBridgeOptions): string[] {
  return methodNames.map((name) => {
    const channel = `${IPC_PREFIX}${name}`;
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, rawEnvelope: unknown): Promise<Result<unknown>> => {
      const role = options.roleOf(event);
      if (!role)
        return refused('forbidden', `${channel}: refused a call from a frame that is not one of Sightline's windows`);
      const envelope = asEnvelope(rawEnvelope);
      if (!envelope)
        return refused('invalid_input', `${channel}: expected {input, raterToken?} with raterToken a string`);
      return options.dispatchFor(name, role, envelope);
    });
    return channel;
  });
}

// Over IPC the researcher role comes from the window, never from a token; authenticate still wants
// a researcher token to compare with, so it gets one that exists only here and matches nothing.
const researcherTokenNobodyHolds = crypto.randomBytes(32).toString('base64url');

/**
 * The rater holding a token, by the HTTP bridge's rule (authenticate): unknown and revoked tokens
 * are nobody, a disqualified rater may still open their session to be told so.
 */
export function raterHolding(base: Omit<ApiContext, 'caller'>, raterToken: string): RaterRecord | null {
  const caller = authenticate(base, raterToken, researcherTokenNobodyHolds);
  return caller?.role === 'rater' ? caller.rater : null;
}

/**
 * Dispatches against one open project, as the sending window's role:
 * - the researcher window is the researcher. It never carries a rater token: rater sessions open in
 *   a window of their own, so a token here is refused rather than quietly honoured.
 * - a rater window is its bound rater, looked up on every call so a revoke takes effect at once.
 *   The page needs to send no token; one that differs from the window's is refused. A revoked or
 *   unknown rater is `unauthorized`, never the researcher.
 */
export function projectDispatcher(base: { project: Project; events: EventBus }): IpcDispatcher {
  return async (name, role, envelope) => {
    let context: ApiContext;
    if (role.kind === 'researcher') {
      if (envelope.raterToken !== undefined) {
        return refused(
          'forbidden',
          `${name}: the researcher window does not rate; "Rate as" opens the rater's own window`,
        );
      }
      context = { ...base, caller: { role: 'researcher' } };
    } else {
      if (envelope.raterToken !== undefined && !secretsEqual(envelope.raterToken, role.raterToken)) {
        return refused('unauthorized', `${name}: this window belongs to another rater`);
      }
      const rater = raterHolding(base, role.raterToken);
      if (!rater) return refused('unauthorized', `${name}: this rater's link was revoked`);
      context = { ...base, caller: { role: 'rater', rater } };
    }
    return dispatch(name, envelope.input, context);
  };
}

/**
 * Forwards EventBus events to a window; returns the unsubscribe. A rater window gets only the
 * events raters may receive (RATER_EVENTS, as the HTTP bridge's event stream): the others carry
 * research data such as campaign progress.
 */
export function forwardEvents(
  events: EventBus,
  webContents: Pick<WebContents, 'send' | 'isDestroyed'>,
  role: WindowRole,
): () => void {
  const allowed = (name: string) => role.kind === 'researcher' || (RATER_EVENTS as readonly string[]).includes(name);
  return events.subscribe((name, payload) => {
    if (allowed(name) && !webContents.isDestroyed()) webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
}
