// The desktop file picker behind the preload's `pickPath` (the Overview page's import panel): one
// IPC channel, answered only for the researcher's window, that opens the native open dialog and
// returns the path chosen. The page never names a directory to browse or gets a file's contents:
// it gets a path to hand to imports.start, which the researcher could have typed.
import type { IpcMain, IpcMainInvokeEvent, OpenDialogOptions } from 'electron';
import { PICK_PATH_CHANNEL, type PathKind } from '../contract/bridge';
import type { WindowRole } from './window-roles';

export interface PathPickerOptions {
  roleOf(event: IpcMainInvokeEvent): WindowRole | null;
  /** Electron's dialog.showOpenDialog, attached to the window that asked. */
  showOpenDialog(
    event: IpcMainInvokeEvent,
    options: OpenDialogOptions,
  ): Promise<{ canceled: boolean; filePaths: string[] }>;
}

const DIALOGS: Record<PathKind, OpenDialogOptions> = {
  file: { title: 'Choose a file to import', properties: ['openFile'] },
  folder: { title: 'Choose a folder to import', properties: ['openDirectory'] },
};

export function registerPathPicker(ipcMain: Pick<IpcMain, 'handle'>, options: PathPickerOptions): void {
  ipcMain.handle(PICK_PATH_CHANNEL, async (event: IpcMainInvokeEvent, kind: unknown): Promise<string | null> => {
    // Imports are the researcher's: a rater window, a subframe or a foreign page gets nothing.
    if (options.roleOf(event)?.kind !== 'researcher') return null;
    if (kind !== 'file' && kind !== 'folder') return null;
    const chosen = await options.showOpenDialog(event, DIALOGS[kind]);
    return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
  });
}
