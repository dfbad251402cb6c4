// Issue 12: import-sae, import-activations, relink, features and export are contract methods, so
// the UI and HTTP reach them as the CLI does. Each is called here through dispatch as the
// researcher with real files; refusals leave the project as it was.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { Project } from '../../src-main/project/project';
import { contextFor, makeConceptCampaign, makeProject, makeRater, researcher, tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from '../mining/synthetic';

function snapshot(project: Project): string {
  const tables = project.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return JSON.stringify(tables.map((table) => [table, project.db.prepare(`SELECT * FROM ${table}`).all()]));
}

const call = (project: Project, name: string, input: unknown) => dispatch(name, input, contextFor(project, researcher));

describe('import methods through the contract', () => {
  it('saes.import, activations.import, features.ofSae and project.relink answer as the CLI printed', async () => {
    const project = makeProject();
    const corpus = writeSyntheticCorpus(path.join(tempDir(), 'data'));
    const sae = await call(project, 'saes.import', { path: corpus.saeDir, name: 'sae' });
    expect(sae).toMatchObject({
      ok: true,
      value: { name: 'sae', dSae: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const acts = await call(project, 'activations.import', { path: corpus.sidecar, corpus: 'corpus' });
    expect(acts).toMatchObject({
      ok: true,
      value: { corpus: 'corpus', documents: expect.any(Number), shards: expect.any(Number) },
    });
    // Not mined yet: no statistics, and feature 0 is not found by name.
    expect(await call(project, 'features.ofSae', { sae: 'sae' })).toEqual({
      ok: true,
      value: { sae: 'sae', features: [] },
    });
    expect(await call(project, 'features.ofSae', { sae: 'sae', feature: 0 })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const relinked = await call(project, 'project.relink', { search: tempDir() });
    expect(relinked).toMatchObject({ ok: true, value: { relinked: 0, missing: 0 } });
    // mine.run answers with the summary once the job is done; the statistics are then there.
    const mined = await call(project, 'mine.run', { sae: 'sae', corpus: 'corpus', top: 2, provider: 'cpu' });
    expect(mined).toMatchObject({
      ok: true,
      value: { state: 'done', sae: 'sae', corpus: 'corpus', jobId: expect.any(Number) },
    });
    const stats = (await call(project, 'features.ofSae', { sae: 'sae' })) as {
      ok: true;
      value: { features: unknown[] };
    };
    expect(stats.value.features.length).toBe((sae as { value: { dSae: number } }).value.dSae);
    expect(await call(project, 'features.ofSae', { sae: 'sae', feature: 0 })).toMatchObject({
      ok: true,
      value: { sae: 'sae', examples: expect.any(Array) },
    });
  });

  it('a missing path is refused by name and writes nothing', async () => {
    const project = makeProject();
    const before = snapshot(project);
    const missing = path.join(tempDir(), 'nothing-here');
    for (const [name, input] of [
      ['saes.import', { path: missing }],
      ['activations.import', { path: missing }],
      ['mine.run', { sae: 'nothing-here', corpus: 'nothing-here' }],
    ] as const) {
      const result = await call(project, name, input);
      expect(result, name).toMatchObject({ ok: false });
      expect(JSON.stringify(result), name).toContain('nothing-here');
    }
    expect(snapshot(project)).toBe(before);
  });

  it('campaigns.export takes the campaign by name and an out path, and answers with the files and provenance', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { name: 'concepts' });
    makeRater(project, campaignId, 'ana');
    const out = path.join(tempDir(), 'out.jsonl');
    const result = await call(project, 'campaigns.export', { campaign: 'concepts', format: 'jsonl', out });
    expect(result).toMatchObject({
      ok: true,
      value: {
        state: 'done',
        format: 'jsonl',
        path: out,
        provenancePath: `${out}.provenance.json`,
        files: [{ path: 'out.jsonl' }],
      },
    });
    expect(fs.existsSync(`${out}.provenance.json`)).toBe(true);
    // Exactly one of campaignId and campaign.
    const before = snapshot(project);
    for (const input of [{ format: 'jsonl' }, { campaignId, campaign: 'concepts', format: 'jsonl' }]) {
      expect(await call(project, 'campaigns.export', input)).toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
    }
    expect(snapshot(project)).toBe(before);
  });
});
