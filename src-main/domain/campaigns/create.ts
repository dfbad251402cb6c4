import crypto from 'node:crypto';
import type { CreateCampaignInput } from '../../contract/campaign-create';
import type { TemplateSpec } from '../../contract/templates';
import { insertCampaign, type NewItem } from '../../store/campaigns';
import type { Db } from '../../store/db';
import { listSweeps, sweepGenerations } from '../../store/sweeps';
import { latestSavedTemplateJson, saveTemplate } from '../../store/templates';
import { AppError, badFile } from '../../util/errors';
import { defaultMaxSkips } from '../skips';
import { builtinTemplate, parseTemplate, showQuestions } from '../templates';
import { featureItems, generationItems } from './from-project';
import { rowsToItems } from './mapping';
import { parseRows } from './read-rows';

type GenerationsSource = Extract<CreateCampaignInput['source'], { kind: 'generations' }>;

/** A built-in id, a researcher's saved template id, or a template given inline (validated). */
export function resolveTemplate(db: Db, template: CreateCampaignInput['template']): TemplateSpec {
  if (typeof template !== 'string') return parseTemplate(template, `template ${template.id}`);
  const saved = latestSavedTemplateJson(db, template);
  return saved ? parseTemplate(saved, `template ${template}`) : builtinTemplate(template);
}

/**
 * The generations a campaign rates: all of them, the ids given, and/or every generation of the named
 * sweeps (a project usually holds several sweeps: other layers, vectors, or a trial run).
 */
function chosenGenerations(db: Db, source: GenerationsSource): number[] | null {
  if (!source.sweeps) return source.generationIds ?? null;
  const ids = new Set(source.generationIds ?? []);
  for (const sweepId of source.sweeps) {
    const generations = sweepGenerations(db, sweepId);
    if (generations.length === 0) {
      const known = listSweeps(db).map((s) => s.sweepId);
      throw new AppError(
        'not_found',
        `sweep "${sweepId}": no generations in this project (its sweeps: ${known.join(', ') || 'none'})`,
      );
    }
    for (const g of generations) ids.add(g.generationId);
  }
  return [...ids];
}

function buildItems(db: Db, template: TemplateSpec, input: CreateCampaignInput): NewItem[] {
  const { source } = input;
  if (source.kind === 'features') return featureItems(db, template.id, source.featureIds, input.settings.seed);
  if (source.kind === 'generations') return generationItems(db, template.id, chosenGenerations(db, source));
  const rows = parseRows(new TextEncoder().encode(source.text), source.fileName);
  return rowsToItems(rows, template, source.fileName, source.mapping);
}

/** An item the template cannot show: from an item file, a bad_file naming the file and its row (rows and items are numbered alike). */
function unshowableItem(error: unknown, source: CreateCampaignInput['source'], index: number): AppError {
  const { field, expected, found } = ((error as AppError).details ?? {}) as {
    field?: string;
    expected?: string;
    found?: string;
  };
  if (source.kind === 'file' && field && expected)
    return badFile(source.fileName, `row ${index + 1}: ${field}`, expected, found);
  return new AppError('invalid_input', `item ${index + 1}: ${(error as Error).message}`);
}

/**
 * Creates a campaign and its items in one transaction. Every item is shown once to a probe rater
 * before anything is written, so an item the template cannot display (missing options, too many
 * options for the keys) is refused up front with its position.
 */
export function createCampaign(db: Db, input: CreateCampaignInput): { campaignId: number; items: number } {
  const template = resolveTemplate(db, input.template);
  const items = buildItems(db, template, input);
  if (items.length === 0) throw new AppError('invalid_input', 'source: produced no items');
  items.forEach((item, index) => {
    try {
      showQuestions(template, item.payload, 0, index);
    } catch (error) {
      throw unshowableItem(error, input.source, index);
    }
  });
  const { settings } = input;
  if (settings.qualification && !items.some((item) => item.kind === 'qualification')) {
    throw new AppError(
      'invalid_input',
      'settings.qualification: expected items of kind "qualification" (with gold.<question> answers)',
    );
  }
  const campaignId = db.transaction(() => {
    if (typeof input.template !== 'string') saveTemplate(db, template);
    return insertCampaign(
      db,
      {
        name: input.name,
        template,
        instructions: input.instructions,
        overlap: settings.overlap,
        leaseSeconds: settings.leaseSeconds,
        maxItemsPerRater: settings.maxItemsPerRater,
        orderMode: settings.orderMode,
        seed: settings.seed,
        settings: {
          qcEvery: settings.qcEvery,
          // Stored resolved, so the rule a campaign runs under never moves with a later default.
          maxSkipsPerRater:
            settings.maxSkipsPerRater === undefined
              ? defaultMaxSkips(Boolean(settings.prolific))
              : settings.maxSkipsPerRater,
          qualification: settings.qualification,
          ...(settings.contact ? { contact: settings.contact } : {}),
          // The entry key makes the study's public link unguessable; Prolific appends the participant's ids to it.
          prolific: settings.prolific && {
            ...settings.prolific,
            entryKey: crypto.randomBytes(16).toString('base64url'),
          },
          source: input.source.kind,
        },
      },
      items,
    );
  })();
  return { campaignId, items: items.length };
}
