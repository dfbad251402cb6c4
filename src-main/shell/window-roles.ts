import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { isAppUrl } from './origin';

/**
 * Whom a window's calls speak for, fixed in main when the window is made. The researcher window
 * holds the researcher role; a rater window holds one rater's token and nothing else. The page
 * never chooses: a call's role follows from which WebContents sent it, so a rater page has no
 * way to fall back to researcher rights by leaving its token out (issue 11).
 */
export type WindowRole = { kind: 'researcher' } | { kind: 'rater'; raterToken: string };

/** The roles of the app's live windows, keyed by WebContents id (unique for the app's lifetime). */
export class WindowRoles {
  private readonly byContentsId = new Map<number, WindowRole>();

  /** Gives a window its role for as long as its WebContents lives; a role is never changed. */
  bind(contents: Pick<WebContents, 'id' | 'once'>, role: WindowRole): void {
    if (this.byContentsId.has(contents.id)) throw new Error(`WebContents ${contents.id} already has a role`);
    this.byContentsId.set(contents.id, role);
    contents.once('destroyed', () => this.byContentsId.delete(contents.id));
  }

  /**
   * The role of the window an invoke came from, or null to refuse it: a WebContents main gave no
   * role, a subframe (VS Code refuses those too: an injected frame must not drive the API), a
   * frame not on the app's origin, or no frame at all (`senderFrame` is null once it navigated
   * away or died).
   */
  roleOf(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): WindowRole | null {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isAppUrl(frame.url)) return null;
    return this.byContentsId.get(event.sender.id) ?? null;
  }
}
