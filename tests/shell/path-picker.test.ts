// The file picker behind the preload's pickPath (issue 12, the Overview import panel): only the
// researcher's window gets a dialog; a rater window, a subframe or an unknown kind gets null.
import type { IpcMainInvokeEvent, OpenDialogOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { PICK_PATH_CHANNEL } from '../../src-main/contract/bridge';
import { registerPathPicker } from '../../src-main/shell/path-picker';
import type { WindowRole } from '../../src-main/shell/window-roles';

type Handler = (event: IpcMainInvokeEvent, kind: unknown) => Promise<string | null>;

function setUp(role: WindowRole | null, answer = { canceled: false, filePaths: ['/data/sae'] }) {
  const handlers = new Map<string, Handler>();
  const showOpenDialog = vi.fn(async (_event: IpcMainInvokeEvent, _options: OpenDialogOptions) => answer);
  registerPathPicker({ handle: (channel: string, handler: Handler) => void handlers.set(channel, handler) } as never, {
    roleOf: () => role,
    showOpenDialog,
  });
  const handler = handlers.get(PICK_PATH_CHANNEL)!;
  return { pick: (kind: unknown) => handler({} as IpcMainInvokeEvent, kind), showOpenDialog };
}

describe('path picker', () => {
  it('opens a folder or file dialog for the researcher and answers the path chosen', async () => {
    const { pick, showOpenDialog } = setUp({ kind: 'researcher' });
    expect(await pick('folder')).toBe('/data/sae');
    expect(await pick('file')).toBe('/data/sae');
    expect(showOpenDialog.mock.calls.map(([, options]) => options.properties)).toEqual([
      ['openDirectory'],
      ['openFile'],
    ]);
  });

  it('answers null when the researcher cancels', async () => {
    expect(await setUp({ kind: 'researcher' }, { canceled: true, filePaths: [] }).pick('file')).toBeNull();
  });

  it.each([
    ['a rater window', { kind: 'rater', raterToken: 't' } as WindowRole, 'file'],
    ['a frame with no role', null, 'file'],
    ['an unknown kind', { kind: 'researcher' } as WindowRole, '/etc'],
  ])('gives %s nothing and opens no dialog', async (_what, role, kind) => {
    const { pick, showOpenDialog } = setUp(role);
    expect(await pick(kind)).toBeNull();
    expect(showOpenDialog).not.toHaveBeenCalled();
  });
});
