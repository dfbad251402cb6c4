// The human-readable form of a campaign's results, for `sightline results` without --json.
import type { CampaignResults } from '../contract/results';
import { formatTaskScores } from './format-task-scores';

const num = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? '—' : value.toFixed(digits);
const pct = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatResults(results: CampaignResults): string {
  const out: string[] = [];
  out.push(`Campaign "${results.campaign.name}" (${results.campaign.templateId} v${results.campaign.templateVersion})`);
  out.push(
    `${results.counts.judgements} judgements on ${results.counts.items} items by ${results.counts.raters} raters; bootstrap ${results.bootstrap.replicates} replicates, seed ${results.bootstrap.seed}`,
  );
  out.push('', 'Agreement');
  out.push(
    table(
      ['question', 'type', 'ratings', 'items', 'alpha [95% CI]', 'Fleiss k', 'mean Cohen k', '% agree'],
      results.questions.map((question) => [
        question.questionId,
        question.type,
        String(question.ratings),
        String(question.units),
        question.alpha
          .map((alpha) => `${alpha.metric} ${num(alpha.alpha)} [${num(alpha.lower)}, ${num(alpha.upper)}]`)
          .join('; '),
        num(question.fleissKappa),
        num(question.meanCohenKappa),
        pct(question.percentAgreement),
      ]),
    ),
  );
  const pairRows = results.questions.flatMap((question) =>
    question.cohenByPair.map((pair) => [
      question.questionId,
      pair.raterA,
      pair.raterB,
      String(pair.items),
      num(pair.kappa),
      pct(pair.observedAgreement),
    ]),
  );
  if (pairRows.length) {
    out.push('', "Cohen's kappa per rater pair (the mean above is over these)");
    out.push(table(['question', 'rater A', 'rater B', 'items in common', 'Cohen k', '% agree'], pairRows));
  }
  const reasons = results.questions.flatMap((question) =>
    [
      ...question.alpha.filter((alpha) => alpha.reason).map((alpha) => `alpha ${alpha.metric}: ${alpha.reason}`),
      question.fleissReason && `Fleiss: ${question.fleissReason}`,
      question.cohenReason && `Cohen: ${question.cohenReason}`,
      question.percentReason && `% agreement: ${question.percentReason}`,
    ]
      .filter(Boolean)
      .map((reason) => `  ${question.questionId}: ${reason}`),
  );
  if (reasons.length) out.push('', 'Not computed:', ...reasons);

  if (results.raters.list.length) {
    out.push(
      '',
      `Raters (median active time overall ${num(results.raters.overallMedianActiveMs, 0)} ms; flagged below ${num(results.raters.fastThresholdMs, 0)} ms)`,
    );
    out.push(
      table(
        ['rater', 'judgements', 'gold acc.', 'gold n', 'agree w/ majority', 'median ms', 'flag'],
        results.raters.list.map((rater) => [
          rater.rater,
          String(rater.judgements),
          pct(rater.goldAccuracy),
          String(rater.goldRatings),
          pct(rater.consensusAgreement),
          num(rater.medianActiveMs, 0),
          rater.tooFast ? 'too fast' : '',
        ]),
      ),
    );
  }

  const labelled = results.labels.length;
  if (labelled) {
    const ties = results.labels.filter((label) => label.majority === null).length;
    const disagree = results.labels.filter(
      (label) => label.majority !== null && label.dawidSkene !== null && label.majority !== label.dawidSkene,
    ).length;
    out.push(
      '',
      `Aggregated labels: ${labelled} (item, question) labels; ${ties} unresolved majority ties; Dawid–Skene differs from the majority on ${disagree} (see --json for every label)`,
    );
  }

  if (results.steering) {
    out.push(
      '',
      `Steering: success = ${results.steering.success} (Wilson 95% intervals; means with Student-t 95% intervals)`,
    );
    for (const curve of results.steering.byLayer) {
      const scaleIds = Object.keys(curve.points[0]?.scales ?? {});
      out.push(`layer ${curve.layer ?? '?'}`);
      out.push(
        table(
          ['k', 'n', 'success', '95% CI', ...scaleIds.map((id) => `mean ${id} [95% CI]`)],
          curve.points.map((point) => [
            String(point.k),
            String(point.n),
            pct(point.rate),
            `[${pct(point.lower)}, ${pct(point.upper)}]`,
            ...scaleIds.map((id) => {
              const scale = point.scales[id];
              return scale ? `${num(scale.mean, 2)} [${num(scale.lower, 2)}, ${num(scale.upper, 2)}]` : '—';
            }),
          ]),
        ),
      );
    }
    out.push(`(${results.steering.byClassPair.length} class-pair curves in --json)`);
  }
  if (results.features) {
    const { coverage, scoreDistribution, modality } = results.features;
    out.push(
      '',
      `Features: ${coverage.withLabel} of ${coverage.features} labelled (at least one label), ${coverage.withMajorityLabel} with a majority label`,
    );
    if (scoreDistribution) {
      out.push(
        `${scoreDistribution.questionId}: ${scoreDistribution.counts.map((bin) => `${bin.score}: ${bin.count}`).join(', ')} (mean ${num(scoreDistribution.mean, 2)}, median ${num(scoreDistribution.median, 1)}, ${scoreDistribution.ratings} ratings)`,
      );
    }
    if (modality) {
      out.push(
        `Modality votes (rows: mined modality; columns: raters' answers; majority matches mined on ${pct(modality.majorityMatchesMined)} of ${modality.featuresCompared} features)`,
      );
      out.push(
        table(
          ['mined', ...modality.votes],
          modality.mined.map((mined, row) => [mined, ...modality.counts[row].map(String)]),
        ),
      );
    }
  }
  out.push(...formatTaskScores(results));
  if (results.notes.length) out.push('', 'Notes:', ...results.notes.map((note) => `  ${note}`));
  return out.join('\n');
}
