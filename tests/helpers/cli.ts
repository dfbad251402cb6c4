// Runs the CLI in-process with stdout and stderr captured, as the CLI tests read it.
import { expect, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';

export async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = { out: '', err: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((io.out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((io.err += String(chunk)), true));
  try {
    const code = await runCli(argv);
    return { code, ...io };
  } finally {
    vi.restoreAllMocks();
  }
}

/** With --json: the exit code and the last line of stdout, parsed. */
export async function runJson(argv: string[]): Promise<{ code: number; value: any }> {
  const { code, out } = await runCaptured([...argv, '--json']);
  return { code, value: JSON.parse(out.trim().split('\n').pop()!) };
}

/** `sightline generate` on `project` with `model`, `prompt` and `tokens` tokens, then `extra` options. */
export function generateArgs(
  project: string,
  model: string,
  prompt: string,
  tokens: number | string,
  ...extra: string[]
): string[] {
  return ['generate', '--project', project, '--model', model, '--prompt', prompt, '--tokens', String(tokens), ...extra];
}

/** `sightline import-model` of the model folder at `path` into `project` (as `name`); it must succeed. */
export async function importModel(project: string, path: string, name?: string): Promise<void> {
  const { code } = await runJson([
    'import-model',
    '--project',
    project,
    '--path',
    path,
    ...(name ? ['--name', name] : []),
  ]);
  expect(code).toBe(0);
}
