import fs from 'node:fs';
import path from 'node:path';
import { EventBus } from '../api/events';
import { dispatch } from '../api/dispatch';
import type { MethodInput, MethodName, MethodOutput } from '../contract';
import { isProjectDir, openProject, type Project } from '../project/project';
import { AppError } from '../util/errors';

/** Runs work on an opened project and always closes it. */
export async function withProject<T>(dir: string, work: (project: Project) => Promise<T> | T): Promise<T> {
  const project = openProject(dir);
  try {
    return await work(project);
  } finally {
    project.close();
  }
}

/**
 * The CLI calls the same handlers as the bridges, as the researcher, with the same validation. A
 * command that shows progress passes its own bus and listens to the events the handler emits.
 */
export async function callAsResearcher<K extends MethodName>(
  project: Project,
  name: K,
  input: MethodInput<K>,
  events = new EventBus(),
): Promise<MethodOutput<K>> {
  const result = await dispatch(name, input, { project, events, caller: { role: 'researcher' } });
  if (!result.ok) throw new AppError(result.error.code as never, result.error.message, result.error.details);
  return result.value as MethodOutput<K>;
}

/**
 * Runs work on a project opened or created at `dir`; when the work fails, whatever opening created
 * is removed again (a new folder whole, or the project files added to a folder that was there), so a
 * refused `merge --into NEW` leaves nothing behind.
 */
export async function withNewOrExistingProject<T>(dir: string, work: (project: Project) => Promise<T> | T): Promise<T> {
  const absolute = path.resolve(dir);
  if (isProjectDir(absolute)) return withProject(absolute, work);
  const existed = fs.existsSync(absolute);
  const before = new Set(existed ? fs.readdirSync(absolute) : []);
  const project = openProject(absolute, { create: true });
  let failed = true;
  try {
    const result = await work(project);
    failed = false;
    return result;
  } finally {
    project.close();
    if (failed) {
      if (!existed) fs.rmSync(absolute, { recursive: true, force: true });
      else
        for (const name of fs.readdirSync(absolute))
          if (!before.has(name)) fs.rmSync(path.join(absolute, name), { recursive: true, force: true });
    }
  }
}
