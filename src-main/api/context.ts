import type { Project } from '../project/project';
import type { RaterRecord } from '../store/raters';
import type { EventBus } from './events';

export type Caller = { role: 'researcher' } | { role: 'rater'; rater: RaterRecord };

/** What every handler gets: the open project, the event bus, and who is calling. */
export interface ApiContext {
  project: Project;
  events: EventBus;
  caller: Caller;
}

export function raterOf(context: ApiContext): RaterRecord {
  if (context.caller.role !== 'rater') throw new Error('raterOf: caller is not a rater (dispatch checks roles first)');
  return context.caller.rater;
}
