import { EventBus } from '../api/events';
import { dispatch } from '../api/dispatch';
import type { MethodInput, MethodName, MethodOutput } from '../contract';
import { openProject, type Project } from '../project/project';
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
