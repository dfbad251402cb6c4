import { EventEmitter } from 'node:events';
import type { EventMap, EventName } from '../contract/types';

/** Events pushed from main to every connected client (IPC webContents.send, or server-sent events). */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(1000);
  }

  emit<K extends EventName>(name: K, payload: EventMap[K]): void {
    this.emitter.emit('event', name, payload);
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: <K extends EventName>(name: K, payload: EventMap[K]) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
