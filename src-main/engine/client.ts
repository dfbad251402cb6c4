// Main-thread side of the engine: starts the worker and turns the message protocol into typed calls.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../util/errors.js';
import {
  transferablesOf,
  weightArrays,
  type CaptureHiddenArgs,
  type CaptureHiddenResult,
  type DecoderCosinesArgs,
  type DecoderCosinesResult,
  type EncodeBatchResult,
  type EncodeSelectedResult,
  type EngineArgs,
  type EngineMethod,
  type EngineRequest,
  type EngineResponse,
  type EngineResult,
  type GenerateArgs,
  type GenerateEvent,
  type GenerateResult,
  type LoadedLm,
  type LoadedSae,
  type LoadLmArgs,
  type LoadSaeArgs,
} from './protocol.js';

export interface WorkerEntry {
  file: string;
  /** set for TypeScript sources: the worker registers this loader (tsx) before importing `file` */
  tsLoader?: 'tsx';
}

/**
 * Where the worker script is. From the esbuild CJS bundle (this file inlined into dist/main/*.cjs)
 * it is the sibling engine-worker.cjs; from TypeScript sources (vitest, tsx) it is worker.ts,
 * loaded through tsx.
 */
export function resolveWorkerEntry(): WorkerEntry {
  // import.meta.url in ESM (tsx, vitest); esbuild's CJS bundle empties import.meta, so __filename there.
  const here = import.meta.url ? fileURLToPath(import.meta.url) : __filename;
  if (here.endsWith('.cjs')) return { file: join(dirname(here), 'engine-worker.cjs') };
  return { file: join(dirname(here), 'worker.ts'), tsLoader: 'tsx' };
}

function spawnWorker(entry: WorkerEntry): Worker {
  if (!entry.tsLoader) return new Worker(entry.file);
  // Node 20 does not apply `execArgv: ['--import', 'tsx']` to a worker's own entry, so a small
  // bootstrap registers tsx's ESM hooks and then imports the .ts entry.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(entry.file).href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; onEvent?: (event: unknown) => void }
  >();
  private closed = false;
  /** dIn of each loaded SAE, to derive n from x.length */
  private readonly dIn = new Map<string, number>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (response: EngineResponse) => {
      const p = this.pending.get(response.id);
      if (!p) return;
      if ('event' in response) {
        p.onEvent?.(response.event);
        return;
      }
      this.pending.delete(response.id);
      if (response.ok) p.resolve(response.result);
      else p.reject(new AppError(response.error.code, response.error.message, response.error.details));
    });
    const failAll = (error: unknown) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      this.closed = true;
      failAll(new AppError('internal', `engine worker exited with code ${code}`));
    });
  }

  static start(entry: WorkerEntry = resolveWorkerEntry()): EngineClient {
    return new EngineClient(spawnWorker(entry));
  }

  private call<M extends EngineMethod>(
    method: M,
    args: EngineArgs<M>,
    transfer: ArrayBuffer[] = [],
    onEvent?: (event: unknown) => void,
  ): Promise<EngineResult<M>> {
    if (this.closed) return Promise.reject(new AppError('internal', 'engine worker is closed'));
    const id = this.nextId++;
    const request: EngineRequest<M> = { id, method, args };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onEvent ? { onEvent } : {}) });
      this.worker.postMessage(request, transfer);
    });
  }

  /** Load from a path (read in the worker) or from weights (their buffers are transferred). */
  async loadSae(args: LoadSaeArgs): Promise<LoadedSae> {
    const transfer = args.source.kind === 'weights' ? transferablesOf(...weightArrays(args.source.weights)) : [];
    const loaded = await this.call('loadSae', args, transfer);
    this.dIn.set(loaded.saeId, loaded.dIn);
    return loaded;
  }

  /**
   * Top-k features per row of x [n, dIn]. x's whole underlying buffer is transferred (detached here,
   * no copy) unless `copy` is set.
   */
  encodeBatch(
    saeId: string,
    x: Float32Array,
    topK: number,
    options: { copy?: boolean; image?: Float32Array } = {},
  ): Promise<EncodeBatchResult> {
    const dIn = this.dIn.get(saeId);
    if (dIn === undefined) return Promise.reject(new AppError('not_found', `SAE ${saeId} is not loaded in the engine`));
    const input = options.copy ? Float32Array.from(x) : x;
    const args = { saeId, x: input, n: x.length / dIn, topK, ...(options.image ? { image: options.image } : {}) };
    return this.call('encodeBatch', args, transferablesOf(input, options.image));
  }

  /** Activations of the given features for every row of x (buffer transferred). */
  encodeSelected(
    saeId: string,
    x: Float32Array,
    features: Int32Array,
    options: { releaseEncoder?: boolean } = {},
  ): Promise<EncodeSelectedResult> {
    const dIn = this.dIn.get(saeId);
    if (dIn === undefined) return Promise.reject(new AppError('not_found', `SAE ${saeId} is not loaded in the engine`));
    const args = { saeId, x, n: x.length / dIn, features, ...(options.releaseEncoder ? { releaseEncoder: true } : {}) };
    return this.call('encodeSelected', args, transferablesOf(x, features));
  }

  /** An SAE's decoder rows ranked by cosine with `vector`, computed in the worker (the SAE is read there). */
  decoderCosines(args: DecoderCosinesArgs): Promise<DecoderCosinesResult> {
    return this.call('decoderCosines', args);
  }

  /** Load a Hugging Face model folder into a decoder session (read and built in the worker). */
  loadLm(args: LoadLmArgs): Promise<LoadedLm> {
    return this.call('loadLm', args);
  }

  /** Decode in the worker; `onStep` gets each step's tokens while the batch runs. */
  generate(args: GenerateArgs, onStep?: (step: GenerateEvent) => void): Promise<GenerateResult> {
    return this.call('generate', args, [], onStep as ((event: unknown) => void) | undefined);
  }

  /** The residual stream at a capture session's layers (loadLm with captureLayers) for every prompt position. */
  captureHidden(args: CaptureHiddenArgs): Promise<CaptureHiddenResult> {
    return this.call('captureHidden', args);
  }

  disposeLm(lmId: string): Promise<{ disposed: boolean }> {
    return this.call('disposeLm', { lmId });
  }

  dispose(saeId: string): Promise<{ disposed: boolean }> {
    this.dIn.delete(saeId);
    return this.call('dispose', { saeId });
  }

  /** Lets the process exit while this worker idles (a long-lived engine must not hold a CLI open). */
  unref(): void {
    this.worker.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }
}
