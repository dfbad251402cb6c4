// The campaign builder's state: template, item source (features, generations or an imported
// file with its column mapping), settings and instructions, then campaigns.create.
import type { MethodInput, TemplateSpec } from '../../../../src-main/contract';
import { ApiError, call, errorText } from '../../lib/client';
import {
  type ColumnMapping,
  type ColumnRole,
  type ColumnRow,
  defaultName,
  defaultSettingsForm,
  type FeatureLabelRow,
  type FieldErrors,
  fieldErrors,
  type FixedValue,
  mappingFixedValues,
  mappingRows,
  mappingSteering,
  mappingWarnings,
  noSteering,
  questionIds,
  rowsToMapping,
  settingsInput,
  type SourceKind,
  sourcesFor,
  type SteeringColumns,
} from './builder-logic';

export interface TemplateChoice {
  template: TemplateSpec;
  builtin: boolean;
}

export interface ImportPreview {
  fileName: string;
  text: string;
  columns: string[];
  rowCount: number;
  sample: Record<string, unknown>[];
  problem: string | null;
}

const emptyErrors = (): FieldErrors => ({ byField: {}, general: [] });

export class CampaignBuilder {
  templates = $state<TemplateChoice[]>([]);
  templateId = $state<string>('');
  /** A researcher's own template pasted as JSON (used when templateId is 'custom'). */
  customJson = $state('');
  name = $state('');
  instructions = $state('');
  sourceKind = $state<SourceKind>('features');
  featureIds = $state<number[]>([]);
  settings = $state(defaultSettingsForm());

  preview = $state<ImportPreview | null>(null);
  mapping = $state<ColumnRow[]>([]);
  /** Fields with one value for every item ({"const": …}), e.g. a pairwise criterion the file lacks. */
  fixedValues = $state<FixedValue[]>([]);
  /** The columns holding the steering strength, source, target and layer (for the steering curve). */
  steering = $state<SteeringColumns>(noSteering());
  previewing = $state(false);
  readingFile = $state(false);

  errors = $state<FieldErrors>(emptyErrors());
  /** The settings checked as they are typed, in the form's units (issue 15); a field's message shows under it. */
  settingsErrors = $derived(settingsInput(this.settings).errors);
  /** The selected features' labels ("unlabelled" where none), loaded when the selection changes. */
  featureLabels = $state<FeatureLabelRow[]>([]);
  private labelsFor: number[] | null = null;
  loadError = $state<string | null>(null);
  busy = $state(false);

  /** The chosen template (parsed from the JSON box for a custom one; null if it does not parse). */
  template = $derived.by<TemplateSpec | null>(() => {
    if (this.templateId === 'custom') return this.parsedCustom.template;
    return this.templates.find((choice) => choice.template.id === this.templateId)?.template ?? null;
  });
  parsedCustom = $derived.by<{ template: TemplateSpec | null; error: string | null }>(() => {
    if (this.templateId !== 'custom' || !this.customJson.trim()) return { template: null, error: null };
    try {
      return { template: JSON.parse(this.customJson) as TemplateSpec, error: null };
    } catch (error) {
      return { template: null, error: `Template JSON: ${(error as Error).message}` };
    }
  });
  allowedSources = $derived<SourceKind[]>(this.templateId === 'custom' ? ['file'] : sourcesFor(this.templateId));
  questionIds = $derived(questionIds(this.template));
  mappingWarnings = $derived(mappingWarnings(this.mapping, this.fixedValues));

  private previewGeneration = 0;
  private previewTimer: ReturnType<typeof setTimeout> | null = null;

  async load(): Promise<void> {
    try {
      this.templates = await call('templates.list', {});
      if (!this.templateId && this.templates.length) this.chooseTemplate(this.templates[0].template.id);
    } catch (error) {
      this.loadError = errorText(error);
    }
  }

  /** Opened from the feature list's "Rate these features": that selection is the source. */
  useFeatures(featureIds: number[]): void {
    this.featureIds = featureIds;
    if (featureIds.length === 0) return;
    if (!sourcesFor(this.templateId).includes('features')) this.chooseTemplate('feature-label');
    this.sourceKind = 'features';
  }

  chooseTemplate(id: string): void {
    this.templateId = id;
    const allowed = id === 'custom' ? ['file'] : sourcesFor(id);
    if (!allowed.includes(this.sourceKind)) this.sourceKind = allowed[0] as SourceKind;
    if (!this.name.trim() || this.templates.some((choice) => choice.template.title === this.name)) {
      const title = this.templates.find((choice) => choice.template.id === id)?.template.title;
      if (title) this.name = title;
    }
    this.delete('template');
    if (this.preview) this.schedulePreview();
  }

  private delete(field: keyof FieldErrors['byField']): void {
    if (this.errors.byField[field]) {
      const byField = { ...this.errors.byField };
      delete byField[field];
      this.errors = { ...this.errors, byField };
    }
  }

  /** Reads the labels of the selected features once per selection (features.labels). */
  async loadFeatureLabels(): Promise<void> {
    const ids = this.featureIds;
    if (this.labelsFor === ids) return;
    this.labelsFor = ids;
    if (ids.length === 0) {
      this.featureLabels = [];
      return;
    }
    try {
      const rows = await call('features.labels', { featureIds: [...ids] });
      if (this.labelsFor === ids) this.featureLabels = rows;
    } catch (error) {
      this.loadError = errorText(error);
    }
  }

  // ---- Imported file -------------------------------------------------------------------------------

  /** Reads the file as text in the renderer (FileReader) and asks the server to parse it. */
  async readFile(file: File): Promise<void> {
    this.readingFile = true;
    this.errors = emptyErrors();
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result ?? ''));
        reader.onerror = () => reject(reader.error ?? new Error(`${file.name}: could not be read`));
        reader.readAsText(file);
      });
      await this.runPreview(file.name, text, undefined);
    } catch (error) {
      this.errors = { byField: { source: errorText(error) }, general: [] };
    } finally {
      this.readingFile = false;
    }
  }

  private async runPreview(fileName: string, text: string, mapping: ColumnMapping | undefined): Promise<void> {
    const generation = ++this.previewGeneration;
    this.previewing = true;
    try {
      // previewImport checks rows against built-in templates only; a researcher's own template is checked at create.
      const builtin = this.templates.some((choice) => choice.builtin && choice.template.id === this.templateId);
      const result = await call('campaigns.previewImport', {
        fileName,
        text,
        mapping,
        templateId: builtin ? this.templateId : undefined,
      });
      if (generation !== this.previewGeneration) return;
      this.preview = {
        fileName,
        text,
        columns: result.columns,
        rowCount: result.rowCount,
        sample: result.sample,
        problem: result.problem,
      };
      if (!mapping) {
        this.mapping = mappingRows(result.columns, result.mapping);
        this.fixedValues = mappingFixedValues(result.mapping);
        this.steering = mappingSteering(result.mapping);
      }
      this.delete('source');
    } catch (error) {
      if (generation !== this.previewGeneration) return;
      this.errors = { ...this.errors, byField: { ...this.errors.byField, source: errorText(error) } };
      if (!mapping) this.preview = null;
    } finally {
      if (generation === this.previewGeneration) this.previewing = false;
    }
  }

  /** Re-checks the file against the template with the edited mapping (debounced while typing names). */
  schedulePreview(): void {
    if (this.previewTimer) clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => {
      const preview = this.preview;
      if (preview) void this.runPreview(preview.fileName, preview.text, this.columnMapping());
    }, 300);
  }

  setRole(index: number, role: ColumnRole): void {
    const row = this.mapping[index];
    if (!row) return;
    this.mapping[index] = { ...row, role, name: defaultName(row.column, role, this.questionIds) };
    this.schedulePreview();
  }

  setName(index: number, name: string): void {
    const row = this.mapping[index];
    if (!row) return;
    this.mapping[index] = { ...row, name };
    this.schedulePreview();
  }

  addFixedValue(): void {
    this.fixedValues = [...this.fixedValues, { field: '', value: '' }];
  }

  setFixedValue(index: number, change: Partial<FixedValue>): void {
    this.fixedValues = this.fixedValues.map((fixed, at) => (at === index ? { ...fixed, ...change } : fixed));
    this.schedulePreview();
  }

  removeFixedValue(index: number): void {
    this.fixedValues = this.fixedValues.filter((_, at) => at !== index);
    this.schedulePreview();
  }

  setSteering(role: keyof SteeringColumns, column: string): void {
    this.steering = { ...this.steering, [role]: column };
    this.schedulePreview();
  }

  private columnMapping(): ColumnMapping {
    return rowsToMapping(this.mapping, this.fixedValues, this.steering);
  }

  clearFile(): void {
    this.previewGeneration++;
    this.preview = null;
    this.mapping = [];
    this.fixedValues = [];
    this.steering = noSteering();
  }

  // ---- Create -------------------------------------------------------------------------------------

  /** The campaigns.create input, or null with errors set when the form is not ready. */
  private input(): MethodInput<'campaigns.create'> | null {
    const { settings, errors } = settingsInput(this.settings);
    const local: FieldErrors = { byField: { ...errors }, general: [] };
    let template: MethodInput<'campaigns.create'>['template'] = this.templateId;
    if (this.templateId === 'custom') {
      if (this.parsedCustom.error) local.byField.template = this.parsedCustom.error;
      else if (!this.parsedCustom.template) local.byField.template = 'template: paste a template as JSON';
      else template = this.parsedCustom.template;
    } else if (!this.templateId) local.byField.template = 'template: choose one';
    let source: MethodInput<'campaigns.create'>['source'] | null = null;
    if (this.sourceKind === 'features') {
      if (this.featureIds.length === 0)
        local.byField.source = 'items: select features in the Features list first, then "Rate these features"';
      else source = { kind: 'features', featureIds: [...this.featureIds] };
    } else if (this.sourceKind === 'generations') source = { kind: 'generations' };
    else if (!this.preview) local.byField.source = 'items: choose a CSV or JSONL file';
    else
      source = {
        kind: 'file',
        fileName: this.preview.fileName,
        text: this.preview.text,
        mapping: this.columnMapping(),
      };
    if (!this.name.trim()) local.byField.name = 'name: give the campaign a name';
    if (Object.keys(local.byField).length > 0 || !source) {
      this.errors = local;
      return null;
    }
    return { name: this.name.trim(), template, instructions: this.instructions, settings, source };
  }

  /** Creates the campaign; returns its id, or null when the form or the server refused. */
  async create(): Promise<number | null> {
    if (this.busy) return null;
    const input = this.input();
    if (!input) return null;
    this.busy = true;
    this.errors = emptyErrors();
    try {
      const created = await call('campaigns.create', input);
      return created.campaignId;
    } catch (error) {
      this.errors =
        error instanceof ApiError
          ? fieldErrors(error, this.preview?.fileName)
          : { byField: {}, general: [errorText(error)] };
      return null;
    } finally {
      this.busy = false;
    }
  }
}
