// The Probes page's data (issue 14), without a DOM: the curve's points in layer order with chance,
// the best layer, export file names and CLI lines that survive odd vector names, and which SAEs fit.
import { describe, expect, it } from 'vitest';
import type { ProbeSummary, SaeSummary } from '../../src-main/contract';
import { parseRoute, routeHref } from '../../src-renderer/src/researcher/routes';
import {
  accuracyPoints,
  bestLayer,
  defaultSae,
  exportCommand,
  exportPath,
  probeRequest,
  defaultVectorLayer,
  vectorsShown,
  saesForVector,
  shellWord,
  vectorFileName,
} from '../../src-renderer/src/researcher/probes/probe-logic';

const layer = (corpus: string, at: number | null, validation: number | null, train: number, chance: number) => ({
  corpus,
  layer: at,
  documents: 10,
  unlabelled: 0,
  pooled: 'image' as const,
  classes: [],
  pairs: [],
  logistic: {
    train: 8,
    validation: 2,
    trainAccuracy: train,
    validationAccuracy: validation,
    chance,
    loss: 0,
    iterations: 1,
  },
});

const run = (layers: ProbeSummary['layers']): ProbeSummary => ({
  jobId: 1,
  runId: 1,
  name: null,
  createdAt: 0,
  state: 'done',
  labels: 'folder names',
  validation: 0.2,
  seed: 0,
  l2: 0.01,
  layers,
  vectors: [],
});

const vector = (dModel: number, at: number | null) => ({
  name: 'v',
  sha256: '',
  dModel,
  stored: true,
  corpus: 'c',
  layer: at,
  from: 'a',
  to: 'b',
  unit: false,
  norm: 1,
});

const sae = (name: string, dIn: number, at: number | null): SaeSummary => ({
  id: 1,
  name,
  architecture: 'relu',
  layer: at,
  dIn,
  dSae: 8,
  featureCount: 0,
});

describe('probe page logic', () => {
  it('gives validation, train and chance per layer in layer order, and the best layer', () => {
    const r = run([layer('c-L20', 20, 0.9, 1, 0.5), layer('c-L5', 5, 0.6, 0.8, 0.5), layer('c-L12', 12, 0.95, 1, 0.5)]);
    const points = accuracyPoints(r);
    expect(points.map((p) => `${p.layer} ${p.series} ${p.accuracy}`)).toEqual([
      '5 validation 0.6',
      '5 train 0.8',
      '5 chance 0.5',
      '12 validation 0.95',
      '12 train 1',
      '12 chance 0.5',
      '20 validation 0.9',
      '20 train 1',
      '20 chance 0.5',
    ]);
    expect(bestLayer(r)?.corpus).toBe('c-L12');
    // Nothing held out: no validation points and no best layer; a corpus with no layer sits at its position.
    const none = run([layer('x', null, null, 1, 0.5), layer('y', null, null, 0.9, 0.5)]);
    expect(accuracyPoints(none).map((p) => `${p.layer} ${p.series}`)).toEqual([
      '0 train',
      '0 chance',
      '1 train',
      '1 chance',
    ]);
    expect(bestLayer(none)).toBeNull();
  });

  it('names export files and quotes the CLI line so any vector name works', () => {
    expect(vectorFileName('syn-L20:goldfish->strawberry:unit', 'npy')).toBe('syn-L20_goldfish-_strawberry_unit.npy');
    expect(vectorFileName('../../etc', 'safetensors')).toBe('etc.safetensors');
    expect(vectorFileName(':::', 'npy')).toBe('vector.npy');
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    expect(exportPath('/p/x.sightline/', 'v.npy')).toBe('/p/x.sightline/exports/v.npy');
    expect(exportPath('C:\\p\\x.sightline', 'v.npy')).toBe('C:\\p\\x.sightline\\exports\\v.npy');
    expect(exportCommand('/my projects/a', 'a:x->y', 'a_x-_y.safetensors')).toBe(
      "sightline vector export --project '/my projects/a' --name 'a:x->y' --out a_x-_y.safetensors",
    );
  });

  it('offers only SAEs of the vector width, its own layer first', () => {
    const saes = [sae('wide', 128, 20), sae('l5', 64, 5), sae('l20', 64, 20)];
    expect(saesForVector(saes, vector(64, 20)).map((s) => s.name)).toEqual(['l5', 'l20']);
    expect(defaultSae(saes, vector(64, 20))).toBe('l20');
    expect(defaultSae(saes, vector(64, 3))).toBe('l5');
    expect(defaultSae(saes, vector(32, 20))).toBe('');
    expect(defaultSae(saes, undefined)).toBe('');
  });

  it('has an address per run', () => {
    expect(routeHref({ page: 'probes' })).toBe('#/probes');
    expect(routeHref({ page: 'probes', runId: 3 })).toBe('#/probes/3');
    expect(parseRoute('#/probes/3')).toEqual({ page: 'probes', runId: 3 });
    expect(parseRoute('#/probes')).toEqual({ page: 'probes' });
    expect(parseRoute('#/probes/x')).toEqual({ page: 'probes' });
  });
});

describe('the vectors list', () => {
  it('opens at the best layer and filters by layer and class', () => {
    const r = run([layer('c-L5', 5, 0.5, 1, 0.5), layer('c-L20', 20, 0.9, 1, 0.5)]);
    r.vectors = [
      { ...vector(4, 5), name: 'c-L5:cat->owl', from: 'cat', to: 'owl' },
      { ...vector(4, 20), name: 'c-L20:cat->owl', from: 'cat', to: 'owl' },
      { ...vector(4, 20), name: 'c-L20:dog->Owl', from: 'dog', to: 'Owl' },
      { ...vector(4, 20), name: 'c-L20:cat->dog', from: 'cat', to: 'dog' },
    ];
    expect(defaultVectorLayer(r)).toBe(20);
    expect(vectorsShown(r, 20, '').map((v) => v.name)).toEqual(['c-L20:cat->owl', 'c-L20:dog->Owl', 'c-L20:cat->dog']);
    expect(vectorsShown(r, 'all', ' owl ').map((v) => v.name)).toEqual([
      'c-L5:cat->owl',
      'c-L20:cat->owl',
      'c-L20:dog->Owl',
    ]);
    expect(vectorsShown(r, 5, 'dog')).toEqual([]);
    // Nothing held out: the first layer; no layers recorded: all.
    expect(defaultVectorLayer(run([layer('x', 7, null, 1, 0.5)]))).toBe(7);
    expect(defaultVectorLayer(run([layer('x', null, null, 1, 0.5)]))).toBe('all');
  });
});

describe('the Run probe form', () => {
  const form = {
    corpora: ['c-L5', 'c-L20'],
    labelsFrom: 'documents' as const,
    labelsFile: '',
    classes: '',
    validation: 0.2,
    seed: 0,
    name: '',
  };

  it('builds the probes.start request, leaving out what was not given', () => {
    expect(probeRequest(form)).toEqual({
      corpora: ['c-L5', 'c-L20'],
      labelsFromFolders: false,
      validation: 0.2,
      seed: 0,
    });
    expect(
      probeRequest({
        ...form,
        labelsFrom: 'csv',
        labelsFile: ' /d/l.csv ',
        classes: 'owl, cat ,',
        name: ' p ',
        seed: 3,
      }),
    ).toEqual({
      corpora: ['c-L5', 'c-L20'],
      labels: '/d/l.csv',
      labelsFromFolders: false,
      classes: ['owl', 'cat'],
      validation: 0.2,
      seed: 3,
      name: 'p',
    });
    expect(probeRequest({ ...form, labelsFrom: 'folders' })).toMatchObject({ labelsFromFolders: true });
  });

  it('says what is wrong in the words of the form', () => {
    expect(probeRequest({ ...form, corpora: [] })).toBe('Tick at least one corpus.');
    expect(probeRequest({ ...form, labelsFrom: 'csv' })).toBe('Give the path of the labels CSV.');
    expect(probeRequest({ ...form, classes: 'cat' })).toMatch(/two classes or more/);
    expect(probeRequest({ ...form, validation: 1 })).toMatch(/Held out/);
    expect(probeRequest({ ...form, seed: 1.5 })).toMatch(/Seed/);
  });
});
