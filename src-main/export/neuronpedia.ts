// Neuronpedia-style explanation rows (JSONL, one explanation per line, the shape of Neuronpedia's
// explanation exports: modelId, layer, index, description, typeName, explanationModelName) for
// feature-label campaigns: each human label becomes one explanation, authored by the rater's pseudonym.
//
// Which feature an item is, in order of preference: hidden/payload `neuronpedia` {modelId, layer,
// index}; a features-table id (hidden.feature_id, payload.feature_id or payload.feature.id), whose
// SAE gives the layer (its SAELens `neuronpedia_id` "model/layer" when present); or hidden
// model_id / layer / feature_index. Campaign settings.neuronpedia {modelId, layer} fill gaps.
import type { Db } from '../store/db';
import { parseJson } from '../store/db';
import { acceptedFeatureLabels } from '../store/feature-labels';
import { AppError } from '../util/errors';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import { campaignFeatureSaes } from '../store/export-references';
import { iterateExportRows } from '../store/export-rows';
import { BoundedCache, isoTime, raterLabel, type ExportSource } from './source';

interface FeatureRef {
  modelId: string | null;
  layer: string | null;
  index: number | null;
}

function featureTable(db: Db, campaignId: number): Map<number, FeatureRef> {
  const rows = campaignFeatureSaes(db, campaignId);
  return new Map(
    rows.map((row) => {
      const config = parseJson<Record<string, unknown>>(row.config_json, 'saes.config_json') ?? {};
      const neuronpediaId = typeof config.neuronpedia_id === 'string' ? config.neuronpedia_id : null;
      const [npModel, npLayer] = neuronpediaId?.includes('/') ? neuronpediaId.split('/', 2) : [null, null];
      return [
        row.id,
        {
          modelId: npModel ?? row.model_name,
          layer: npLayer ?? (row.layer === null ? row.sae_name : `${row.layer}-${row.sae_name}`),
          index: row.feature_index,
        },
      ];
    }),
  );
}

const str = (value: unknown): string | null =>
  typeof value === 'string' && value ? value : typeof value === 'number' ? String(value) : null;
const int = (value: unknown): number | null =>
  typeof value === 'number' && Number.isInteger(value)
    ? value
    : typeof value === 'string' && /^\d+$/.test(value)
      ? Number(value)
      : null;

/** Returns the number of explanation rows written. */
export async function writeNeuronpedia(source: ExportSource, file: AtomicFile, meter: ProgressMeter): Promise<number> {
  const { campaign, questions } = source;
  const description = questions.find((question) => question.type === 'text');
  if (!description) {
    throw new AppError(
      'invalid_input',
      `campaign "${campaign.name}": template ${campaign.template.id} has no text question to use as the explanation; Neuronpedia export needs a feature-label campaign`,
    );
  }
  const score = questions.find((question) => question.type === 'scale');
  const features = featureTable(source.db, campaign.id);
  const defaults = (campaign.settings.neuronpedia ?? {}) as Record<string, unknown>;
  const refs = new BoundedCache<number, FeatureRef>();
  let rows = 0;
  for (const row of iterateExportRows(source.db, campaign.id)) {
    const ref = refs.get(row.item_id, () => {
      const payload =
        parseJson<Record<string, unknown>>(row.payload_json, `items.payload_json (item ${row.item_id})`) ?? {};
      const hidden =
        parseJson<Record<string, unknown>>(row.hidden_json, `items.hidden_json (item ${row.item_id})`) ?? {};
      const explicit = (hidden.neuronpedia ?? payload.neuronpedia ?? {}) as Record<string, unknown>;
      const featureId =
        int(hidden.feature_id) ??
        int(payload.feature_id) ??
        int((payload.feature as Record<string, unknown> | undefined)?.id);
      const known = featureId === null ? undefined : features.get(featureId);
      const resolved: FeatureRef = {
        modelId:
          str(explicit.modelId) ??
          known?.modelId ??
          str(hidden.model_id) ??
          str(hidden.modelId) ??
          str(defaults.modelId),
        layer:
          str(explicit.layer) ??
          known?.layer ??
          str(hidden.neuronpedia_layer) ??
          str(hidden.layer) ??
          str(defaults.layer),
        index: int(explicit.index) ?? known?.index ?? int(hidden.feature_index) ?? int(hidden.index),
      };
      if (resolved.modelId === null || resolved.layer === null || resolved.index === null) {
        const missing = (['modelId', 'layer', 'index'] as const).filter((key) => resolved[key] === null).join(', ');
        throw new AppError(
          'invalid_input',
          `campaign "${campaign.name}" item ${row.item_position}: cannot tell which feature it is (missing ${missing}); ` +
            'set hidden.feature_id to a features row, or hidden.neuronpedia {modelId, layer, index}, or campaign settings.neuronpedia {modelId, layer} with hidden.feature_index',
        );
      }
      return resolved;
    });
    if (meter.tick()) await meter.pause();
    const answer =
      parseJson<Record<string, unknown>>(row.answer_json, `judgements.answer_json (judgement ${row.judgement_id})`) ??
      {};
    const text = answer[description.id];
    if (typeof text !== 'string' || text.trim() === '') continue;
    const extras = Object.fromEntries(
      questions
        .filter((question) => question !== description)
        .map((question) => [question.id, answer[question.id] ?? null]),
    );
    file.write(
      `${JSON.stringify({
        modelId: ref.modelId,
        layer: ref.layer,
        index: String(ref.index),
        description: text.trim(),
        explanationModelName: null,
        typeName: 'human',
        authorId: raterLabel(source, row),
        score: score ? (answer[score.id] ?? null) : null,
        ...extras,
        // What the rater saw, as in every other format: the option order of each choice question.
        sightline: {
          campaign: campaign.name,
          judgement_id: row.judgement_id,
          item_id: row.item_id,
          submitted_at: isoTime(row.submitted_at),
          shown_order: parseJson(row.shown_order, `judgements.shown_order (judgement ${row.judgement_id})`),
        },
      })}\n`,
    );
    rows++;
  }
  // A label the researcher accepted for a feature (issue 15) is the feature's explanation: one more
  // row, authored by whoever accepted it, marked so it is not mistaken for one more rater's vote.
  for (const [featureId, accepted] of acceptedFeatureLabels(source.db, [...features.keys()])) {
    const ref = features.get(featureId)!;
    file.write(
      `${JSON.stringify({
        modelId: ref.modelId,
        layer: ref.layer,
        index: String(ref.index),
        description: accepted.label,
        explanationModelName: null,
        typeName: 'human',
        authorId: accepted.acceptedBy,
        sightline: {
          campaign: campaign.name,
          accepted_label: true,
          accepted_at: isoTime(accepted.acceptedAt),
          accepted_from_campaign_id: accepted.campaignId,
        },
      })}\n`,
    );
    rows++;
  }
  return rows;
}
