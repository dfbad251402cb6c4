import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../store/db';
import { AppError } from '../util/errors';
import { systemClock, type Clock } from '../util/time';
import { MediaStore } from './media';

/** A project is a folder: <name>.sightline/{project.sqlite, media/, exports/}. */
export interface Project {
  dir: string;
  db: Db;
  media: MediaStore;
  exportsDir: string;
  /** The time leases, their expiry timer and event coalescing go by (a test passes its own). */
  clock: Clock;
  close(): void;
}

export const DB_FILE = 'project.sqlite';

export function isProjectDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, DB_FILE));
}

/** Opens a project folder, creating it when `create` is set. Migrates the database to this app's schema. */
export function openProject(dir: string, options: { create?: boolean; clock?: Clock } = {}): Project {
  const absolute = path.resolve(dir);
  if (!isProjectDir(absolute)) {
    if (!options.create) {
      throw new AppError(
        'not_found',
        `${absolute}: not a Sightline project (no ${DB_FILE}); create one with \`sightline init --project DIR\` (or \`sightline demo --project DIR\` for the demo)`,
      );
    }
    fs.mkdirSync(absolute, { recursive: true });
  }
  const exportsDir = path.join(absolute, 'exports');
  fs.mkdirSync(exportsDir, { recursive: true });
  const db = openDatabase(path.join(absolute, DB_FILE));
  const media = new MediaStore(db, path.join(absolute, 'media'));
  return { dir: absolute, db, media, exportsDir, clock: options.clock ?? systemClock, close: () => db.close() };
}
