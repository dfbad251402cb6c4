import { z } from 'zod';
import { method, returns } from './define';
import type { ProjectOverview } from './types';

export const projectMethods = {
  'project.overview': method({
    role: 'researcher',
    summary: 'Counts, SAEs and engine status of the open project',
    input: z.object({}).strict(),
    output: returns<ProjectOverview>(),
  }),
};
