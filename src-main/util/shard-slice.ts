// `--shard i/n` for job arrays (sweep, mine, and capture to come): which contiguous block of a list
// of work units one array task takes. Blocks are cut by floor(i * total / n), so every unit is in
// exactly one shard, blocks differ in size by at most one, and the cut depends only on (total, i, n).
import { AppError } from './errors';

export interface Shard {
  index: number;
  count: number;
}

/** `i/n`, 0-based (i in 0..n-1), as Slurm's SLURM_ARRAY_TASK_ID=0.. and Kubernetes' JOB_COMPLETION_INDEX give it. */
export function parseShard(raw: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count)
    throw new AppError('invalid_input', `--shard: expected i/n with 0 <= i < n (e.g. 0/4 … 3/4), got "${raw}"`);
  return { index, count };
}

/** Units [from, to) of `total` that `shard` takes; all of them without a shard. */
export function shardRange(total: number, shard: Shard | null): { from: number; to: number } {
  if (!shard) return { from: 0, to: total };
  return {
    from: Math.floor((shard.index * total) / shard.count),
    to: Math.floor(((shard.index + 1) * total) / shard.count),
  };
}

/** `i/n` as written on the command line and in shard records. */
export const shardText = (shard: Shard): string => `${shard.index}/${shard.count}`;
