// worker_threads entry: owns every ONNX Runtime session (session.run blocks its thread).
// Bundled by the lead to dist/main/engine-worker.cjs.
import { parentPort } from 'node:worker_threads';
import { toErrorValue } from '../util/errors.js';
import { createEngineHandlers } from './handlers.js';
import {
  transferablesOf,
  type EngineRequest,
  type EngineResponse,
  type EncodeBatchResult,
  type EncodeSelectedResult,
  type CaptureHiddenResult,
} from './protocol.js';

const port = parentPort;
if (!port) throw new Error('engine worker: must run inside worker_threads');
const handlers = createEngineHandlers();

port.on('message', async (request: EngineRequest) => {
  let response: EngineResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const handler = handlers[request.method] as (args: unknown, emit: (event: unknown) => void) => Promise<unknown>;
    if (typeof handler !== 'function') throw new Error(`engine worker: unknown method ${String(request.method)}`);
    // A handler that streams (generate) posts its events under the request's id before the answer.
    const emit = (event: unknown) => port.postMessage({ id: request.id, event } satisfies EngineResponse);
    const result = await handler.call(handlers, request.args, emit);
    if (request.method === 'encodeBatch') {
      const r = result as EncodeBatchResult;
      transfer = transferablesOf(r.values, r.indices, r.counts);
    }
    if (request.method === 'captureHidden') transfer = transferablesOf(...(result as CaptureHiddenResult).hidden);
    if (request.method === 'encodeSelected') transfer = transferablesOf((result as EncodeSelectedResult).acts);
    response = { id: request.id, ok: true, result };
  } catch (error) {
    response = { id: request.id, ok: false, error: toErrorValue(error) };
  }
  port.postMessage(response, transfer);
});
