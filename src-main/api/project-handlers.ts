import path from 'node:path';
import { schemaVersion } from '../store/db';
import type { projectMethods } from '../contract/project';
import type { SaeSummary } from '../contract/types';
import type { HandlersFor } from './handlers';

export const projectHandlers: HandlersFor<typeof projectMethods> = {
  'project.overview': (_input, { project }) => {
    const { db } = project;
    const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    const saes = db
      .prepare(
        `SELECT s.id, s.name, s.architecture, s.layer, s.d_in AS dIn, s.d_sae AS dSae,
                (SELECT COUNT(*) FROM features f WHERE f.sae_id = s.id) AS featureCount
         FROM saes s ORDER BY s.layer, s.id`,
      )
      .all() as SaeSummary[];
    return {
      name: path.basename(project.dir).replace(/\.sightline$/, ''),
      dir: project.dir,
      schemaVersion: schemaVersion(db),
      counts: {
        documents: count('documents'),
        features: count('features'),
        campaigns: count('campaigns'),
        raters: count('raters'),
        judgements: db.prepare("SELECT COUNT(*) FROM judgements WHERE action = 'submit'").pluck().get() as number,
      },
      saes,
      engine: null,
    };
  },
};
