// Typed queries over the `jobs` table. A job row is the durable record of a long task: its state,
// progress, the process that owns it, and the checkpoint a crashed run resumes from.
import type { Db } from './db';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobRow {
  id: number;
  kind: string;
  state: JobState;
  params: unknown;
  progressDone: number;
  progressTotal: number | null;
  checkpoint: unknown;
  error: string | null;
  ownerPid: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A jobs row as stored, for readers that must list a row even when its params_json is malformed. */
export interface RawJob {
  id: number;
  kind: string;
  state: JobState;
  params_json: string;
  progress_done: number;
  progress_total: number | null;
  checkpoint_json: string | null;
  error: string | null;
  owner_pid: number | null;
  created_at: number;
  updated_at: number;
}

const toRow = (r: RawJob): JobRow => ({
  id: r.id,
  kind: r.kind,
  state: r.state,
  params: JSON.parse(r.params_json),
  progressDone: r.progress_done,
  progressTotal: r.progress_total,
  checkpoint: r.checkpoint_json === null ? null : JSON.parse(r.checkpoint_json),
  error: r.error,
  ownerPid: r.owner_pid,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Params compare by their canonical JSON, so key order does not make two identical jobs differ. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function insertJob(db: Db, kind: string, params: unknown, now = Date.now()): number {
  return Number(
    db
      .prepare(
        `INSERT INTO jobs (kind, state, params_json, owner_pid, created_at, updated_at) VALUES (?, 'running', ?, ?, ?, ?)`,
      )
      .run(kind, canonicalJson(params), process.pid, now, now).lastInsertRowid,
  );
}

export function getJob(db: Db, id: number): JobRow | undefined {
  const raw = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as RawJob | undefined;
  return raw ? toRow(raw) : undefined;
}

export function updateProgress(db: Db, id: number, done: number, total: number | null, now = Date.now()): void {
  db.prepare('UPDATE jobs SET progress_done = ?, progress_total = ?, updated_at = ? WHERE id = ?').run(
    done,
    total,
    now,
    id,
  );
}

export function saveCheckpoint(db: Db, id: number, checkpoint: unknown, done: number, now = Date.now()): void {
  db.prepare('UPDATE jobs SET checkpoint_json = ?, progress_done = ?, updated_at = ? WHERE id = ?').run(
    JSON.stringify(checkpoint),
    done,
    now,
    id,
  );
}

export function finishJob(
  db: Db,
  id: number,
  state: Exclude<JobState, 'queued' | 'running'>,
  error: string | null = null,
  now = Date.now(),
): void {
  // The checkpoint is only for resuming; a finished job keeps none.
  db.prepare('UPDATE jobs SET state = ?, error = ?, checkpoint_json = NULL, updated_at = ? WHERE id = ?').run(
    state,
    error,
    now,
    id,
  );
}

export function claimJob(db: Db, id: number, now = Date.now()): void {
  db.prepare(`UPDATE jobs SET state = 'running', owner_pid = ?, updated_at = ? WHERE id = ?`).run(process.pid, now, id);
}

function processAlive(pid: number | null): boolean {
  if (pid === null || pid === process.pid) return pid === process.pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A job of this kind and these exact params that was running when its process died, and saved a
 * checkpoint: the one a new run should resume instead of starting over.
 */
export function findResumableJob(db: Db, kind: string, params: unknown): JobRow | undefined {
  const rows = (
    db
      .prepare(
        `SELECT * FROM jobs WHERE kind = ? AND params_json = ? AND state = 'running' AND checkpoint_json IS NOT NULL ORDER BY id DESC`,
      )
      .all(kind, canonicalJson(params)) as RawJob[]
  ).map(toRow);
  return rows.find((row) => !processAlive(row.ownerPid));
}

/** The newest jobs first, as stored. */
export function listRecentJobs(db: Db, limit: number): RawJob[] {
  return db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as RawJob[];
}

/** Mine jobs of this SAE still marked running (their process may have died), newest first. */
export function runningMineJobsOfSae(db: Db, saeId: number): RawJob[] {
  return db
    .prepare(
      "SELECT * FROM jobs WHERE kind = 'mine' AND state = 'running' AND json_extract(params_json, '$.sae') = ? ORDER BY id DESC",
    )
    .all(saeId) as RawJob[];
}

/** The mine that finished last, with its params as stored. */
export function lastFinishedMineJob(db: Db): { id: number; params_json: string } | undefined {
  return db
    .prepare(
      "SELECT id, params_json FROM jobs WHERE kind = 'mine' AND state = 'done' ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .get() as { id: number; params_json: string } | undefined;
}
