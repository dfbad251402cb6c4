// Runs in the sandboxed preload (bundled to CJS by esbuild). It exposes exactly one frozen object,
// `window.sightline`, built from the contract's method names. ipcRenderer itself never crosses
// contextBridge: the page can call the contract's methods and listen to events, nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_PREFIX, methodNames, type EventMap, type EventName, type MethodName } from '../contract';
import { IPC_EVENT_CHANNEL, PICK_PATH_CHANNEL, type IpcEnvelope, type SightlineBridge } from '../contract/bridge';

type Ipc = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function createBridge(ipc: Ipc): Readonly<SightlineBridge> {
  const call = (name: MethodName) => (input: unknown, raterToken?: string) => {
    const envelope: IpcEnvelope = raterToken === undefined ? { input } : { input, raterToken };
    return ipc.invoke(`${IPC_PREFIX}${name}`, envelope);
  };
  const methods = Object.freeze(
    Object.fromEntries(methodNames.map((name) => [name, call(name)])),
  ) as SightlineBridge['methods'];

  const onEvent: SightlineBridge['onEvent'] = (listener) => {
    // Strip the IpcRendererEvent: it carries `sender` (the ipcRenderer) and must not reach the page.
    const relay = (_event: IpcRendererEvent, name: EventName, payload: EventMap[EventName]) => listener(name, payload);
    ipc.on(IPC_EVENT_CHANNEL, relay);
    return () => {
      ipc.removeListener(IPC_EVENT_CHANNEL, relay);
    };
  };

  // Only the kind crosses: main opens the dialog and answers with a path or null.
  const pickPath: SightlineBridge['pickPath'] = (kind) =>
    ipc.invoke(PICK_PATH_CHANNEL, kind === 'folder' ? 'folder' : 'file');

  return Object.freeze({ methods, onEvent, pickPath } satisfies SightlineBridge);
}

contextBridge.exposeInMainWorld('sightline', createBridge(ipcRenderer));
