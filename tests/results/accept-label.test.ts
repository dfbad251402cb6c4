// Feature-label results (issue 15): the raters' labels side by side with their agreement, and
// "accept label", which stores one as the feature's label with who and when, shown by features.get
// and written to the Neuronpedia export as the feature's explanation.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import type { AcceptedFeatureLabel, FeatureDetail } from '../../src-main/contract/types';
import { exportCampaign } from '../../src-main/export';
import { campaignResults } from '../../src-main/results/report';
import { runCaptured } from '../helpers/cli';
import { TestClock } from '../helpers/clock';
import { contextFor, makeProject, researcher, tempDir } from '../helpers/factories';
import { ratedFeatureLabelCampaign } from '../export/fixtures';

describe('accepting a feature label', () => {
  it("shows the raters' labels side by side, stores the accepted one with who and when, and exports it", async () => {
    const clock = new TestClock();
    const project = makeProject({ clock });
    const { campaignId, featureIds } = ratedFeatureLabelCampaign(project);
    const before = campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } }).features!;
    const first = before.features.find((row) => row.featureId === featureIds[0])!;
    // Both raters' labels as written (the fixture's raters meet the features in their own shuffled
    // order, so feature #11 got each one's second label); two different labels: agreement 1 of 2.
    expect(first.givenLabels).toEqual([
      { rater: 'R001', label: 'dogs, "good" ones' },
      { rater: 'R002', label: 'cats\non two lines' },
    ]);
    expect(first.labelAgreement).toBe(0.5);
    expect(first).toMatchObject({ featureIndex: 11, saeId: expect.any(Number), acceptedLabel: null });
    // `sightline results --json` carries the same labels side by side.
    const name = project.db.prepare('SELECT name FROM campaigns WHERE id = ?').pluck().get(campaignId) as string;
    const printed = await runCaptured(['results', '--project', project.dir, '--campaign', name, '--json']);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.out).features).toEqual(before);

    const context = contextFor(project, researcher);
    const reply = await dispatch(
      'features.acceptLabel',
      { featureId: featureIds[0], label: ' dogs ', acceptedBy: 'Dr. Ada', campaignId },
      context,
    );
    expect(reply).toEqual({
      ok: true,
      value: { featureId: featureIds[0], label: 'dogs', acceptedBy: 'Dr. Ada', acceptedAt: clock.now(), campaignId },
    });
    const accepted = (reply as { ok: true; value: AcceptedFeatureLabel }).value;

    // The feature page's data: the label and who accepted it when.
    const detail = (await dispatch('features.get', { featureId: featureIds[0] }, context)) as {
      ok: true;
      value: FeatureDetail;
    };
    expect(detail.value.feature.label).toBe('dogs');
    expect(detail.value.acceptedLabel).toEqual(accepted);
    const other = (await dispatch('features.get', { featureId: featureIds[1] }, context)) as {
      ok: true;
      value: FeatureDetail;
    };
    expect(other.value.acceptedLabel).toBeNull();
    expect(
      campaignResults(project.db, campaignId, { bootstrap: { replicates: 10 } }).features!.features.find(
        (row) => row.featureId === featureIds[0],
      )!.acceptedLabel,
    ).toEqual(accepted);

    // A later acceptance replaces it; the earlier one stays on record.
    clock.advance(60_000);
    await dispatch(
      'features.acceptLabel',
      { featureId: featureIds[0], label: 'dog faces', acceptedBy: 'Ben' },
      context,
    );
    const latest = (await dispatch('features.get', { featureId: featureIds[0] }, context)) as {
      ok: true;
      value: FeatureDetail;
    };
    expect(latest.value.acceptedLabel).toMatchObject({
      label: 'dog faces',
      acceptedBy: 'Ben',
      acceptedAt: clock.now(),
      campaignId: null,
    });
    expect(project.db.prepare('SELECT COUNT(*) FROM feature_label_acceptances').pluck().get()).toBe(2);

    // Neuronpedia: one more explanation row for the feature, by whoever accepted it.
    const result = await exportCampaign(project.db, campaignId, {
      format: 'neuronpedia',
      out: path.join(tempDir(), 'np.jsonl'),
    });
    const rows = fs
      .readFileSync(result.path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const acceptedRows = rows.filter((row) => row.sightline.accepted_label);
    expect(acceptedRows).toEqual([
      {
        modelId: 'llava-next-7b',
        layer: '20-mm-res',
        index: '11',
        description: 'dog faces',
        explanationModelName: null,
        typeName: 'human',
        authorId: 'Ben',
        sightline: {
          campaign: 'Label features',
          accepted_label: true,
          accepted_at: new Date(clock.now()).toISOString(),
          accepted_from_campaign_id: null,
        },
      },
    ]);
    expect(rows).toHaveLength(5);
  });

  it('refuses a feature that does not exist and a blank label, storing nothing', async () => {
    const project = makeProject();
    const context = contextFor(project, researcher);
    const missing = await dispatch('features.acceptLabel', { featureId: 999, label: 'x', acceptedBy: 'Ada' }, context);
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const blank = await dispatch('features.acceptLabel', { featureId: 1, label: '   ', acceptedBy: 'Ada' }, context);
    expect(blank.ok).toBe(false);
    expect(project.db.prepare('SELECT COUNT(*) FROM feature_label_acceptances').pluck().get()).toBe(0);
  });
});
