import { EventBus } from '../../api/events';
import type { JobProgressEvent } from '../../contract/types';
import { EXPORT_FORMATS, isExportFormat } from '../../export';
import { formatProgress } from '../../export/progress';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { stringOption } from '../command';
import { callAsResearcher, withProject } from '../project-session';

const progressLine = (event: JobProgressEvent): string =>
  formatProgress({
    done: event.done,
    total: event.total ?? event.done,
    ratePerSecond: event.ratePerSecond ?? 0,
    etaSeconds: event.etaSeconds,
  });

export const exportCommand: Command = {
  name: 'export',
  summary: "write a campaign's judgements to a dataset file (with a provenance manifest)",
  usage: `sightline export --project DIR --campaign NAME --format ${EXPORT_FORMATS.join('|')} --out PATH [--reveal-raters] [--full-shown]`,
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    campaign: { type: 'string', required: true, description: 'campaign name' },
    format: {
      type: 'string',
      description: `one of ${EXPORT_FORMATS.join(', ')} (hf writes a folder)`,
      default: 'jsonl',
    },
    out: {
      type: 'string',
      required: true,
      description:
        'output file (a folder for --format hf); provenance goes to <out>.provenance.json (or <out>/provenance.json)',
    },
    'reveal-raters': { type: 'boolean', description: "write raters' names instead of their pseudonyms" },
    'full-shown': {
      type: 'boolean',
      description: 'also write the full questions each rater saw (`shown`), not only the compact `shown_order`',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const format = stringOption(options, 'format');
      if (!isExportFormat(format))
        throw new AppError('invalid_input', `--format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
      // Progress lines on stderr about once a second while running (a small export finishes before the first).
      const events = new EventBus();
      let jobId: number | null = null;
      events.subscribe((name, payload) => {
        if (name !== 'job.progress') return;
        const event = payload as JobProgressEvent;
        jobId = event.jobId;
        if (event.state === 'running' && event.done > 0)
          process.stderr.write(`export ${format}: ${progressLine(event)}\n`);
      });
      // Ctrl-C cancels through jobs.cancel: the export stops at its next batch and removes its temp files.
      const onInterrupt = () => {
        process.stderr.write('export: cancelling (Ctrl-C)...\n');
        if (jobId !== null) void callAsResearcher(project, 'jobs.cancel', { jobId }).catch(() => {});
      };
      process.once('SIGINT', onInterrupt);
      let written;
      try {
        written = await callAsResearcher(
          project,
          'campaigns.export',
          {
            campaign: stringOption(options, 'campaign'),
            format,
            out: stringOption(options, 'out'),
            revealRaters: options['reveal-raters'] === true,
            fullShown: options['full-shown'] === true,
          },
          events,
        );
      } finally {
        process.off('SIGINT', onInterrupt);
      }
      if (written.state !== 'done')
        throw new AppError('cancelled', `export job ${written.jobId} cancelled; nothing was written`);
      output.result(
        written,
        () =>
          `Wrote ${written.rows} ${format === 'labelstudio' ? 'tasks' : format === 'neuronpedia' ? 'explanations' : 'judgements'} to ${written.path}\nProvenance: ${written.provenancePath}`,
      );
    }),
};
