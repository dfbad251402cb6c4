import path from 'node:path';
import type { resultsMethods } from '../contract/results';
import { exportPathFor } from '../export/export-path';
import { importResults, readResultsMapping } from '../export/import';
import { startExportJob } from '../export/export-job';
import { findCampaignByName, getCampaign } from '../store/campaigns';
import { computeCampaignResults } from '../results/compute';
import type { HandlersFor } from './handlers';

export const resultsHandlers: HandlersFor<typeof resultsMethods> = {
  // In a worker thread: bootstrap intervals on a large campaign take tens of seconds, and the
  // server must keep answering raters meanwhile.
  'results.campaign': (input, { project }) =>
    computeCampaignResults(project.db.name, getCampaign(project.db, input.campaignId).id, {
      bootstrap: { seed: input.bootstrapSeed, replicates: input.bootstrapReplicates },
    }),
  'campaigns.export': async (input, { project, events }) => {
    // The schema lets exactly one of the two through.
    const campaign =
      input.campaignId !== undefined
        ? getCampaign(project.db, input.campaignId)
        : findCampaignByName(project.db, input.campaign!);
    const out =
      input.out !== undefined
        ? path.resolve(input.out)
        : exportPathFor(project.exportsDir, campaign.name, input.format);
    const pending = { jobId: 0, format: input.format, path: out, rows: 0, provenancePath: null, files: [] };
    const job = await startExportJob(
      project,
      {
        campaignId: campaign.id,
        format: input.format,
        out,
        revealRaters: input.revealRaters,
        fullShown: input.fullShown,
      },
      (event) => events.emit('job.progress', event),
    );
    if (input.wait === false) {
      // The job row records a failure and its last 'job.progress' event says so; nobody awaits this promise.
      job.outcome.catch(() => {});
      return { ...pending, jobId: job.jobId, state: 'running' as const };
    }
    const outcome = await job.outcome;
    if (outcome.state === 'cancelled' || !outcome.result)
      return { ...pending, jobId: job.jobId, state: 'cancelled' as const };
    const { path: written, rows, provenancePath, files } = outcome.result;
    return {
      jobId: job.jobId,
      state: 'done' as const,
      format: input.format,
      path: written,
      rows,
      provenancePath,
      files,
    };
  },
  // The mapping is read first, as before: its mistakes come before the results file's.
  'results.import': (input, { project }) => {
    const mapping = input.mapping === undefined ? undefined : readResultsMapping(input.mapping);
    return importResults(project.db, {
      campaignName: input.campaign,
      file: path.resolve(input.path),
      format: input.format,
      templateId: input.template,
      mapping,
    });
  },
};
