// ONNX Runtime sessions with explicit provider fallback. onnxruntime-node does not fall back between
// execution providers on its own, so we try each in preference order, catch, and record why.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../util/errors.js';

export type ProviderPreference = 'auto' | 'cuda' | 'cpu';
export type ProviderName = 'cuda' | 'cpu';

export interface ProviderReport {
  provider: ProviderName;
  /** one line for the UI and CLI, e.g. "cuda: ... not installed (...); using cpu" */
  reason: string;
  attempts: { provider: ProviderName; error?: string }[];
}

export interface SessionOptions {
  providers?: ProviderPreference;
  /** folder holding the files that external-data initializers name */
  externalDataFolder?: string;
  intraOpNumThreads?: number;
}

// import.meta.url in ESM (tsx, vitest); esbuild's CJS bundle empties import.meta, so __filename there.
const requireHere = createRequire(import.meta.url ?? __filename);

/** Folder of the native binding, where the CUDA provider library would sit next to libonnxruntime. */
export function ortBinaryFolder(): string {
  const root = dirname(requireHere.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_LIBRARY =
  process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/** Why CUDA cannot even be tried, or undefined when its provider library is present. */
function cudaMissingReason(): string | undefined {
  if (process.platform === 'darwin') return 'cuda: not available on macOS';
  if (existsSync(join(ortBinaryFolder(), CUDA_LIBRARY))) return undefined;
  return `cuda: ${CUDA_LIBRARY} not installed (onnxruntime-node was installed without its CUDA provider, e.g. with ONNXRUNTIME_NODE_INSTALL=skip)`;
}

function providerOrder(preference: ProviderPreference): ProviderName[] {
  if (preference === 'cpu') return ['cpu'];
  if (preference === 'cuda') return ['cuda'];
  return ['cuda', 'cpu'];
}

export async function createSession(
  model: Uint8Array,
  options: SessionOptions = {},
): Promise<{ session: ort.InferenceSession; report: ProviderReport }> {
  const attempts: ProviderReport['attempts'] = [];
  const reasons: string[] = [];
  let lastError: unknown;
  for (const provider of providerOrder(options.providers ?? 'auto')) {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
      graphOptimizationLevel: 'all',
    };
    if (options.externalDataFolder !== undefined) {
      // Models built from bytes have no path, so ORT is told where external initializers live.
      sessionOptions.extra = { session: { model_external_initializers_file_folder_path: options.externalDataFolder } };
    }
    if (provider === 'cuda') {
      // Skip a doomed attempt: ORT would log a loud native error and then throw anyway.
      const missing = cudaMissingReason();
      if (missing !== undefined) {
        attempts.push({ provider, error: missing });
        reasons.push(missing);
        continue;
      }
    }
    try {
      const session = await ort.InferenceSession.create(model, sessionOptions);
      attempts.push({ provider });
      const reason =
        reasons.length > 0
          ? `${reasons.join('; ')}; using ${provider}`
          : `${provider}: requested ${options.providers ?? 'auto'}, created`;
      return { session, report: { provider, reason, attempts } };
    } catch (error) {
      lastError = error;
      const reason = `${provider}: ${(error as Error).message.split('\n')[0]}`;
      attempts.push({ provider, error: (error as Error).message });
      reasons.push(reason);
    }
  }
  throw new AppError('unsupported', `no execution provider could run the model: ${reasons.join('; ')}`, {
    attempts,
    cause: lastError instanceof Error ? lastError.message : String(lastError),
  });
}

export { ort };
