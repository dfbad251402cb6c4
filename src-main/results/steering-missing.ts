// Issue 15: a steering template whose items do not say which strength and target they were steered
// with gets no curve; rather than leave the section out silently, the results say why and what to map.

interface RatedItem {
  itemId: number;
  itemKind: string;
  hidden: Record<string, unknown>;
}

/** Why no steering curve could be drawn from these judgements, and which mapping would give one; null when nothing was rated. */
export function steeringMissingNote(judgements: readonly RatedItem[]): string | null {
  const items = new Map<number, Record<string, unknown>>();
  for (const judgement of judgements)
    if (judgement.itemKind === 'normal') items.set(judgement.itemId, judgement.hidden);
  if (items.size === 0) return null;
  const hidden = [...items.values()];
  const withoutStrength = hidden.filter((fields) => typeof fields.k !== 'number' || !Number.isFinite(fields.k)).length;
  const withoutTarget = hidden.filter(
    (fields) => fields.target_class === undefined && fields.correct === undefined,
  ).length;
  const missing = [
    withoutStrength > 0
      ? `${withoutStrength} of ${items.size} rated items have no numeric steering strength (hidden.k)`
      : null,
    withoutTarget > 0 ? `${withoutTarget} of ${items.size} have no target class (hidden.target_class)` : null,
  ].filter(Boolean);
  return (
    `No steering curve: ${missing.join('; ')}. Name the columns by role in the item mapping, e.g. ` +
    `"steering": {"strength": "steering_score", "target": "target_class", "source": "og_class", "layer": "layer"} ` +
    '(on the builder page: the column roles "steering strength" and "steering target").'
  );
}
