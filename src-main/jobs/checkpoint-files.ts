// Large checkpoint state (per-feature accumulators: megabytes of typed arrays) lives in a binary file
// under <project>/jobs/, not in checkpoint_json. Each checkpoint gets a new numbered file, written to
// a temp name and renamed, and the jobs row is pointed at it afterwards: whatever instant a crash
// hits, checkpoint_json names a complete file that matches it. Older files are removed after.
import fs from 'node:fs';
import path from 'node:path';

export function checkpointDir(projectDir: string): string {
  return path.join(projectDir, 'jobs');
}

/**
 * A file of this job under <project>/jobs/ (e.g. `staging.sqlite`): removeCheckpointFiles removes
 * it with the job's checkpoints when the job ends, and a resumed run (same job id) finds it again.
 */
export function jobFile(projectDir: string, jobId: number, name: string): string {
  return path.join(checkpointDir(projectDir), `job-${jobId}-${name}`);
}

export function writeCheckpointFile(
  projectDir: string,
  jobId: number,
  tag: string,
  chunks: readonly ArrayBufferView[],
): string {
  fs.mkdirSync(checkpointDir(projectDir), { recursive: true });
  const file = jobFile(projectDir, jobId, `${tag}.ckpt`);
  const name = path.basename(file);
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    for (const c of chunks) fs.writeSync(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  return name;
}

export function readCheckpointFile(projectDir: string, name: string): Buffer {
  return fs.readFileSync(path.join(checkpointDir(projectDir), path.basename(name)));
}

/** Removes this job's checkpoint files except `keep`. */
export function removeCheckpointFiles(projectDir: string, jobId: number, keep?: string): void {
  const dir = checkpointDir(projectDir);
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(`job-${jobId}-`) && name !== keep) fs.rmSync(path.join(dir, name), { force: true });
  }
}
