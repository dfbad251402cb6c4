// imports.start: the importers the CLI calls (import-sae, import-activations) run as a job, so the
// Overview page can start one and show its progress (steps done of all, rate, ETA) with a cancel.
// A job is stopped only between steps, before the importer's one write transaction, so a cancelled
// or failed import leaves the project as it was.
import fs from 'node:fs';
import path from 'node:path';
import type { importMethods } from '../contract/imports';
import { importDenseActivations } from '../importers/activations-import';
import { importDelphiCache } from '../importers/delphi-import';
import type { ImportProgress } from '../importers/import-progress';
import { importSae } from '../importers/sae-import';
import { jobRegistry, TrackedJobRunner } from '../jobs/registry';
import { AppError } from '../util/errors';
import type { ApiContext } from './context';
import type { HandlersFor } from './handlers';

type StartInput = Parameters<HandlersFor<typeof importMethods>['imports.start']>[0];

/** What the import does, for the job's line: "SAE from /data/sae" or "activations from /data/acts.json". */
function describeImport(input: StartInput, absolute: string): string {
  return `${input.kind === 'sae' ? 'SAE' : 'activations'} from ${absolute}`;
}

/** Resolves with the job id once the job row exists; a path that is not there is this call's error. */
export function startImport(input: StartInput, context: ApiContext): Promise<{ jobId: number }> {
  const { project, events } = context;
  const absolute = path.resolve(input.path);
  if (!fs.existsSync(absolute))
    throw new AppError(
      'not_found',
      `path: ${absolute}: no such file or folder (expected ${input.kind === 'sae' ? 'an SAE folder or file' : 'a sidecar JSON or a delphi cache folder'})`,
      { path: absolute },
    );
  // One import at a time per project: two would hash the same disk against each other.
  const release = jobRegistry.reserve(project.dir, 'import', 'another import is running; wait for it or cancel it');
  let unregister = () => {};
  let jobId: number | null = null;
  let announce: (id: number) => void = () => {};
  let refuse: (error: unknown) => void = () => {};
  const started = new Promise<number>((resolve, reject) => ((announce = resolve), (refuse = reject)));
  const runner: TrackedJobRunner = new TrackedJobRunner((id, kind) => {
    jobId = id;
    unregister = jobRegistry.add({
      projectDir: project.dir,
      jobId: id,
      kind,
      runner,
      message: describeImport(input, absolute),
    });
    announce(id);
  });
  const finished = runner.run(
    {
      db: project.db,
      dir: project.dir,
      kind: 'import',
      params: { what: input.kind, path: absolute, ...(input.name ? { name: input.name } : {}) },
      resume: false,
      now: () => project.clock.now(),
      listener: (event) => {
        if (event.state !== 'running') {
          // Off the registry before the last event, so a list that follows it shows the job as ended.
          unregister();
          release();
        } else jobRegistry.progress(project.dir, event);
        events.emit('job.progress', event);
      },
    },
    async (job) => {
      const progress: ImportProgress = (done, total, message) => {
        job.throwIfCancelled();
        job.progress(done, total, message);
        if (jobId !== null) jobRegistry.annotate(project.dir, jobId, { message });
      };
      if (input.kind === 'sae') {
        const sae = await importSae(project, { path: absolute, name: input.name, progress });
        return `SAE ${sae.name}: ${sae.architecture}, d_in ${sae.dIn}, d_sae ${sae.dSae}`;
      }
      const result = fs.statSync(absolute).isDirectory()
        ? await importDelphiCache(project, absolute, input.name, input.sae, progress)
        : await importDenseActivations(project, absolute, input.name, progress);
      return `corpus ${result.corpus}: ${result.documents} documents, ${result.rows} rows in ${result.shards} shards`;
    },
  );
  finished.then(
    (outcome) => {
      if (jobId === null) return;
      jobRegistry.remember(project.dir, jobId, {
        message: outcome.state === 'done' ? `imported ${outcome.result}` : 'cancelled; the project is unchanged',
        engine: null,
      });
    },
    (error: unknown) => {
      release();
      // Refused before the job row existed: imports.start itself answers with the error.
      if (jobId === null) return refuse(error);
      jobRegistry.remember(project.dir, jobId, { message: (error as Error).message, engine: null });
    },
  );
  return started.then((id) => ({ jobId: id }));
}
