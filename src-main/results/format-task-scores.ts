// The task scores (intruder, detection, pairwise) in `sightline results` without --json (issue 15).
import type { CampaignResults, Proportion } from '../contract/results';

const num = (value: number | null | undefined, digits = 3): string =>
  value === null || value === undefined ? '—' : value.toFixed(digits);
const pct = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
const share = (p: Proportion): string => `${p.successes}/${p.n} = ${pct(p.rate)} [${pct(p.lower)}, ${pct(p.upper)}]`;

export function formatTaskScores(results: CampaignResults): string[] {
  const out: string[] = [];
  const { intruder, detection, pairwise } = results;
  if (intruder) {
    out.push('', `Intruder accuracy: ${share(intruder.overall)} (Wilson 95%; chance ${pct(intruder.chance)})`);
    for (const row of intruder.byFeature) out.push(`  feature #${row.featureIndex ?? row.featureId}: ${share(row)}`);
  }
  if (detection) {
    const o = detection.overall;
    out.push(
      '',
      `Detection (${detection.judgements} judgements): precision ${num(o.precision)}, recall ${num(o.recall)}, F1 ${num(o.f1)}, accuracy ${num(o.accuracy)}`,
    );
    for (const row of detection.byFeature)
      out.push(
        `  feature #${row.featureIndex ?? row.featureId}: precision ${num(row.precision)}, recall ${num(row.recall)}, F1 ${num(row.f1)}`,
      );
    out.push(`  ticked per bucket: ${detection.byBucket.map((row) => `${row.bucket} ${share(row)}`).join('; ')}`);
  }
  if (pairwise) {
    out.push(
      '',
      `Pairwise (${pairwise.judgements} judgements): ${pairwise.sides.map((side) => `${side.field} wins ${share(side.winRate)}, ties ${side.ties}`).join('; ')}`,
    );
    for (const system of pairwise.systems) {
      out.push(
        `  ${system.system}: wins ${share(system.winRate)}, ties ${system.ties}${system.strength === null ? '' : `, Bradley–Terry strength ${num(system.strength)}`}`,
      );
    }
    if (pairwise.bradleyTerry?.reason) out.push(`  Bradley–Terry: ${pairwise.bradleyTerry.reason}`);
  }
  return out;
}
