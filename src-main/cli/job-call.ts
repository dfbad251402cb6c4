// A contract call that runs one job (capture.run, probes.run) from the command line: its progress on
// stderr as "<label>: done/total <unit>, rate/s, ETA s", and Ctrl-C sent as jobs.cancel so the job stops
// after its current batch and answers with state 'cancelled' (exit code 130). A sweep's lines about
// its grid and engine ('sweep.info') go to stderr as they come.
import { EventBus } from '../api/events';
import type { MethodInput, MethodName, MethodOutput } from '../contract';
import type { SweepInfoEvent } from '../contract/sweeps';
import type { JobProgressEvent } from '../contract/types';
import type { Project } from '../project/project';
import { callAsResearcher } from './project-session';

export async function callJob<K extends MethodName>(
  project: Project,
  name: K,
  input: MethodInput<K>,
  label: string,
  unit: string,
): Promise<MethodOutput<K>> {
  const events = new EventBus();
  let jobId: number | null = null;
  events.subscribe((event, payload) => {
    if (event === 'sweep.info') process.stderr.write(`${(payload as SweepInfoEvent).message}\n`);
    if (event !== 'job.progress') return;
    const e = payload as JobProgressEvent;
    jobId = e.jobId;
    if (e.state !== 'running') return;
    const rate = e.ratePerSecond === null ? '?' : e.ratePerSecond.toFixed(1);
    const eta = e.etaSeconds === null ? '?' : Math.round(e.etaSeconds).toString();
    process.stderr.write(
      `${label}: ${e.done}/${e.total ?? '?'} ${unit}, ${rate}/s, ETA ${eta} s${e.message ? ` (${e.message})` : ''}\n`,
    );
  });
  const onSigint = () => {
    process.stderr.write(`${label}: cancelling after the current batch…\n`);
    if (jobId !== null) void callAsResearcher(project, 'jobs.cancel', { jobId }).catch(() => {});
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await callAsResearcher(project, name, input, events);
    if ((result as { state?: string }).state === 'cancelled') process.exitCode = 130;
    return result;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
