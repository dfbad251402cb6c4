import path from 'node:path';

/** The demo project's folder name: in the user's data folder, or `./demo.sightline` from `npm start`. */
export const DEMO_FOLDER = 'demo.sightline';

export interface ProjectChoice {
  dir: string;
  /**
   * True for the demo: no project was named (the demo in the user's data folder), or the named
   * folder is the demo's (`npm start` names `./demo.sightline` explicitly). The shell builds it
   * when it is not a project yet, so a fresh clone opens without a separate `sightline demo`.
   */
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
 * else `<userData>/demo.sightline`. A folder named demo.sightline (either way) is the demo, created
 * on first start so a new user sees something.
 */
export function chooseProjectDir(argv: readonly string[], env: NodeJS.ProcessEnv, userDataDir: string): ProjectChoice {
  const named = projectArgument(argv) ?? (env.SIGHTLINE_PROJECT || undefined);
  if (!named) return { dir: path.join(userDataDir, DEMO_FOLDER), isDemo: true };
  const dir = path.resolve(named);
  return { dir, isDemo: path.basename(dir) === DEMO_FOLDER };
}
