import fs from 'node:fs';
import path from 'node:path';
import { campaignSettingsSchema, columnMappingSchema, type CreateCampaignInput } from '../../contract/campaign-create';
import { parseJsonWith } from '../../util/json-text';
import { decodeUtf8Strict } from '../../util/utf8';
import { parseTemplate } from '../../domain/templates';
import { AppError } from '../../util/errors';
import { intOption, stringOption, type Command, type ParsedOptions } from '../command';
import { callAsResearcher, withProject } from '../project-session';
import { linkOrigin } from '../serve-info';
import type { CampaignSummary } from '../../contract/types';
import { campaignSummary } from '../../api/campaign-handlers';
import { featureIdOfIndex } from '../../store/features';
import { getSaeByName } from '../../store/saes';
import type { ColumnMapping } from '../../domain/campaigns/mapping';
import type { Project } from '../../project/project';

function readText(file: string, what: string): string {
  if (!fs.existsSync(file)) throw new AppError('not_found', `${what} ${file}: no such file`);
  return fs.readFileSync(file, 'utf8');
}

/** --mapping: checked here, so that a mistake in it names the mapping file (line and column) rather than the API input. */
function readMappingFile(file: string): ColumnMapping {
  return parseJsonWith(
    readText(file, '--mapping'),
    file,
    columnMappingSchema,
    'a column mapping {payload, hidden, gold, expected, steering, condition, kind}: fields name a column, a list of columns or {"const": value}',
  );
}

/** An option's comma-separated parts, trimmed, empty ones dropped. */
function commaList(raw: unknown): string[] {
  return String(raw ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * --features as given: with --sae, that SAE's feature indices (what `sightline features` prints);
 * without, feature row ids. A repeated one is refused rather than made into two items.
 */
function featureIdsOf(project: Project, options: ParsedOptions): number[] {
  const given = commaList(options.features);
  const numbers = given.map((part) => {
    if (!/^\d+$/.test(part))
      throw new AppError('invalid_input', `--features: expected comma-separated whole numbers, found "${part}"`);
    return Number(part);
  });
  const repeated = numbers.find((n, i) => numbers.indexOf(n) !== i);
  if (repeated !== undefined) throw new AppError('invalid_input', `--features: ${repeated} is listed twice`);
  if (!options.sae) return numbers;
  const sae = getSaeByName(project, String(options.sae));
  return numbers.map((index) => {
    const id = featureIdOfIndex(project.db, sae.id, index);
    if (id === undefined)
      throw new AppError(
        'not_found',
        `--features: SAE "${sae.name}" has no mined feature ${index} (d_sae ${sae.dSae}; mine it first with \`sightline mine\`)`,
      );
    return id;
  });
}

function source(project: Project, options: ParsedOptions): CreateCampaignInput['source'] {
  const items = options.items as string | undefined;
  const from = options.from as string | undefined;
  if (options.sweep !== undefined && from !== 'generations')
    throw new AppError('invalid_input', '--sweep picks generations: use it with --from generations');
  if (items) {
    const mapping = options.mapping ? readMappingFile(String(options.mapping)) : undefined;
    if (!fs.existsSync(items)) throw new AppError('not_found', `--items ${items}: no such file`);
    // Decode strictly here: a file that is not UTF-8 is refused with its line and byte offset.
    const text = decodeUtf8Strict(fs.readFileSync(path.resolve(items)), items);
    return { kind: 'file', fileName: items, text, mapping };
  }
  if (from === 'generations') {
    const sweeps = options.sweep === undefined ? [] : commaList(options.sweep);
    if (options.sweep !== undefined && sweeps.length === 0)
      throw new AppError(
        'invalid_input',
        '--sweep: expected a sweep id (as `sightline sweep` prints it), or several comma-separated',
      );
    return sweeps.length > 0 ? { kind: 'generations', sweeps } : { kind: 'generations' };
  }
  if (from === 'features') return { kind: 'features', featureIds: featureIdsOf(project, options) };
  throw new AppError(
    'invalid_input',
    '--items FILE, --from generations, or --from features [--sae NAME] --features 1,2,3 is required',
  );
}

/** A whole-number option of at least `min`, checked here so the error names the option; undefined when not given. */
function wholeOption(options: ParsedOptions, name: string, min: number, extra = ''): number | undefined {
  const raw = options[name] as string | undefined;
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min)
    throw new AppError('invalid_input', `--${name}: expected a whole number of ${min} or more${extra}, got "${raw}"`);
  return value;
}

/** --max-skips: a bound, "none" for unlimited, or left out for the default (2 with a Prolific code, else unlimited). */
function maxSkipsOption(options: ParsedOptions): number | null | undefined {
  if (options['max-skips'] === 'none') return null;
  return wholeOption(options, 'max-skips', 0, ', or "none" (unlimited)');
}

function prolificSettings(
  options: ParsedOptions,
): { completionCode: string; screenOutCode?: string; places?: number } | undefined {
  const screenOut = options['prolific-screen-out-code'] as string | undefined;
  const places = wholeOption(options, 'prolific-places', 1);
  if (!options['prolific-code']) {
    if (screenOut)
      throw new AppError(
        'invalid_input',
        '--prolific-screen-out-code: needs --prolific-code (the study link comes with the completion code)',
      );
    if (places !== undefined)
      throw new AppError(
        'invalid_input',
        '--prolific-places: needs --prolific-code (the study link comes with the completion code)',
      );
    return undefined;
  }
  return {
    completionCode: String(options['prolific-code']),
    ...(screenOut ? { screenOutCode: screenOut } : {}),
    ...(places !== undefined ? { places } : {}),
  };
}

export const campaignCreateCommand: Command = {
  name: 'campaign create',
  summary: 'create a campaign from a CSV/JSONL item file, the project generations or features',
  usage:
    'sightline campaign create --project DIR --name NAME --template ID|--template-file T.json (--items FILE.csv|FILE.jsonl [--mapping MAP.json] | --from generations [--sweep ID] | --from features [--sae NAME] --features 1,2) [--overlap N] [--seed N] [--max-skips N|none] [--prolific-code CODE [--prolific-places N]] ...',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'campaign name' },
    template: { type: 'string', description: 'built-in or saved template id (see `sightline template list`)' },
    'template-file': { type: 'string', description: 'your own template (JSON question schema)' },
    items: { type: 'string', description: 'item file: CSV with a header row (MTurk batch input) or JSONL' },
    mapping: {
      type: 'string',
      description:
        'column mapping JSON {payload, hidden, gold, expected, steering, condition, kind}; a field is a column, a list of columns ["a","b"] or {"const": value}; steering names the strength, source, target and layer columns',
    },
    from: { type: 'string', description: 'generations | features' },
    sweep: {
      type: 'string',
      description:
        "with --from generations: only these sweeps' generations (ids as `sightline sweep` prints them, comma-separated; default every generation)",
    },
    features: {
      type: 'string',
      description: 'features for --from features, comma-separated: indices of --sae, or feature row ids without it',
    },
    sae: {
      type: 'string',
      description: 'SAE whose feature indices --features lists (as `sightline features` prints them)',
    },
    instructions: { type: 'string', description: 'instructions file (markdown)' },
    overlap: { type: 'string', description: 'raters per item', default: '3' },
    seed: { type: 'string', description: 'seed for per-rater order and counterbalancing', default: '1' },
    'lease-minutes': { type: 'string', description: 'how long an item stays reserved for a rater', default: '15' },
    'max-per-rater': { type: 'string', description: 'most items one rater may rate' },
    'max-skips': {
      type: 'string',
      description:
        'most items one rater may skip, or "none" (default: 2 with --prolific-code, so its code means every item but those answered; else none)',
    },
    order: { type: 'string', description: 'random (per rater, seeded) or fixed', default: 'random' },
    'qc-every': { type: 'string', description: 'a gold or attention item after every N items', default: '8' },
    'pass-mark': {
      type: 'string',
      description: 'qualification round pass mark (0..1); items of kind "qualification" come first',
    },
    contact: {
      type: 'string',
      description:
        'whom raters should ask when their link stops working (e.g. an email address); shown on the page a withdrawn rater link leads to',
    },
    'prolific-code': {
      type: 'string',
      description:
        'Prolific completion code, given once a participant has finished; enables the /enter/<key> study link',
    },
    'prolific-screen-out-code': {
      type: 'string',
      description:
        'Prolific screen-out code for participants who fail the qualification round or an attention check (default: none; needs --prolific-code)',
    },
    'prolific-places': {
      type: 'string',
      description:
        "the study's number of places on Prolific: once that many finished, or twice that many entered, new participants are told the study is full (default: no bound; needs --prolific-code)",
    },
    'base-url': {
      type: 'string',
      description:
        'origin participants reach the server at, for the printed study URL (default: the running `sightline serve`)',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const templateFile = options['template-file'] as string | undefined;
      const template = templateFile
        ? parseTemplate(readText(templateFile, '--template-file'), templateFile)
        : stringOption(options, 'template');
      if (!template) throw new AppError('invalid_input', '--template ID or --template-file FILE is required');
      const settings = campaignSettingsSchema.parse({
        overlap: intOption(options, 'overlap'),
        seed: intOption(options, 'seed'),
        leaseSeconds: intOption(options, 'lease-minutes') * 60,
        maxItemsPerRater: options['max-per-rater'] ? intOption(options, 'max-per-rater') : null,
        maxSkipsPerRater: maxSkipsOption(options),
        orderMode: stringOption(options, 'order'),
        qcEvery: intOption(options, 'qc-every'),
        qualification: options['pass-mark'] ? { passMark: Number(options['pass-mark']) } : undefined,
        prolific: prolificSettings(options),
        contact: options.contact === undefined ? undefined : String(options.contact),
      });
      const instructions = options.instructions ? readText(String(options.instructions), '--instructions') : '';
      const created = await callAsResearcher(project, 'campaigns.create', {
        name: stringOption(options, 'name'),
        template,
        instructions,
        settings,
        source: source(project, options),
      });
      const { origin, assumed } = linkOrigin(project.dir, options['base-url'] as string | undefined);
      const entryUrl = entryUrlOf(campaignSummary(project.db, created.campaignId), origin);
      output.result({ ...created, entryUrl }, () =>
        [
          `Created campaign "${options.name}" with ${created.items} items`,
          ...(entryUrl ? studyUrlLines(entryUrl, assumed) : []),
        ].join('\n'),
      );
    }),
};

/** The full Prolific study URL of a campaign with a completion code, else null. */
const entryUrlOf = (campaign: CampaignSummary, origin: string): string | null =>
  campaign.entryPath ? origin + campaign.entryPath : null;

/**
 * The Prolific study URL, to paste into the study's "study URL" field as is: Prolific fills in the
 * {{%...%}} placeholders per participant.
 */
function studyUrlLines(entryUrl: string, assumed: boolean): string[] {
  return [
    `  Prolific study URL: ${entryUrl}`,
    ...(assumed
      ? [
          '  (no running `sightline serve` for this project: the URL assumes its default address; pass --base-url with the address participants reach)',
        ]
      : []),
  ];
}

export const campaignListCommand: Command = {
  name: 'campaign list',
  summary: 'list campaigns with their progress (and the Prolific study URL of those with a completion code)',
  usage: 'sightline campaign list --project DIR [--archived] [--base-url URL] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    archived: { type: 'boolean', description: 'also list archived campaigns' },
    'base-url': {
      type: 'string',
      description: 'origin participants reach the server at, for study URLs (default: the running `sightline serve`)',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const { origin, assumed } = linkOrigin(project.dir, options['base-url'] as string | undefined);
      const campaigns = (
        await callAsResearcher(project, 'campaigns.list', { includeArchived: options.archived === true })
      ).map((c): CampaignSummary & { entryUrl: string | null } => ({
        ...c,
        entryUrl: entryUrlOf(c, origin),
      }));
      output.result(
        campaigns,
        () =>
          campaigns
            .map((c) =>
              [
                `${c.name}  [${c.archivedAt === null ? c.status : 'archived'}]  template ${c.templateId}  items ${c.itemCount}  overlap ${c.overlap}  raters ${c.raterCount}  judgements ${c.submitted}/${c.target}`,
                ...(c.entryUrl ? studyUrlLines(c.entryUrl, assumed) : []),
              ].join('\n'),
            )
            .join('\n') || 'No campaigns.',
      );
    }),
};

export const campaignStatusCommand: Command = {
  name: 'campaign status',
  summary: 'pause, resume or close a campaign',
  usage: 'sightline campaign status --project DIR --name NAME --set open|paused|closed',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'campaign name' },
    set: { type: 'string', required: true, description: 'open, paused or closed' },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const campaigns = await callAsResearcher(project, 'campaigns.list', {});
      const campaign = campaigns.find((c) => c.name === options.name);
      if (!campaign) throw new AppError('not_found', `campaign "${options.name}": no such campaign`);
      const summary = await callAsResearcher(project, 'campaigns.setStatus', {
        campaignId: campaign.id,
        status: stringOption(options, 'set') as 'open',
      });
      output.result(summary, () => `Campaign "${summary.name}" is now ${summary.status}`);
    }),
};

/** A live campaign by name (archived ones have been renamed and are out of the list). */
async function campaignNamed(project: Project, name: unknown): Promise<CampaignSummary> {
  const campaigns = await callAsResearcher(project, 'campaigns.list', {});
  const campaign = campaigns.find((c) => c.name === name);
  if (!campaign)
    throw new AppError(
      'not_found',
      `campaign "${String(name)}": no such campaign; this project has ${campaigns.map((c) => `"${c.name}"`).join(', ') || 'none'}`,
    );
  return campaign;
}

export const campaignArchiveCommand: Command = {
  name: 'campaign archive',
  summary: 'archive a campaign: closed to raters, hidden from lists, its name free again; judgements are kept',
  usage: 'sightline campaign archive --project DIR --name NAME [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'campaign name' },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const campaign = await campaignNamed(project, options.name);
      const retired = await callAsResearcher(project, 'campaigns.archive', { campaignId: campaign.id });
      output.result(
        retired,
        () =>
          `Archived campaign "${campaign.name}" as "${retired.archivedName}" (see \`sightline campaign list --archived\`); the name "${campaign.name}" is free`,
      );
    }),
};

export const campaignDeleteCommand: Command = {
  name: 'campaign delete',
  summary:
    'delete a campaign no rater has submitted to; --force exports one with judgements to exports/ and archives it',
  usage: 'sightline campaign delete --project DIR --name NAME [--force] [--json]',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    name: { type: 'string', required: true, description: 'campaign name' },
    force: {
      type: 'boolean',
      description:
        'with judgements: write a JSONL export to exports/, then archive (judgements are append-only, never deleted)',
    },
  },
  run: (options, output) =>
    withProject(stringOption(options, 'project'), async (project) => {
      const campaign = await campaignNamed(project, options.name);
      const retired = await callAsResearcher(project, 'campaigns.delete', {
        campaignId: campaign.id,
        force: options.force === true,
      });
      output.result(retired, () =>
        retired.outcome === 'deleted'
          ? `Deleted campaign "${campaign.name}" (no judgements)`
          : [
              `Campaign "${campaign.name}" has judgements, which are never deleted: exported them to ${retired.exportPath}`,
              `and archived the campaign as "${retired.archivedName}"; the name "${campaign.name}" is free`,
            ].join('\n'),
      );
    }),
};
