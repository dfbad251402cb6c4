import path from 'node:path';

export interface ProjectChoice {
  dir: string;
  /** True when no project was named and we fall back to the demo in the user's data folder. */
  isDemo: boolean;
}

/** The value of `--project DIR` or `--project=DIR`, if given. */
export function projectArgument(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--project' && index + 1 < argv.length) return argv[index + 1];
    if (arg.startsWith('--project=')) return arg.slice('--project='.length);
  }
  return undefined;
}

/**
 * Which project the window opens: `--project DIR` on the command line, else $SIGHTLINE_PROJECT,
 * else `<userData>/demo.sightline` (created on first start so a new user sees something).
 */
export function chooseProjectDir(argv: readonly string[], env: NodeJS.ProcessEnv, userDataDir: string): ProjectChoice {
  const named = projectArgument(argv) ?? (env.SIGHTLINE_PROJECT || undefined);
  return named ? { dir: path.resolve(named), isDemo: false } : { dir: path.join(userDataDir, 'demo.sightline'), isDemo: true };
}
