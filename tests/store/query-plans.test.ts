import { describe, expect, it } from 'vitest';
import { LEASES_EXPIRED_BETWEEN_SQL } from '../../src-main/store/monitor';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

// Leasing must stay an index seek as campaigns grow (bench:rate runs 100k items); these plans
// are what keeps a rater's next item at about a millisecond.
const plan = (db: ReturnType<typeof makeProject>['db'], sql: string, params: Record<string, unknown>) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail).join(' | ');

describe('query plans of the leasing hot path', () => {
  it('seek items through items_pool and walk a rater through their own assignments, never scanning items', () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 50 });
    const rater = makeRater(project, campaignId, 'ana');
    const params = { campaignId, raterId: rater.id, holders: 0, condition: 'k=0', offset: 3 };
    const notMine = 'NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.rater_id = @raterId)';
    const seek = plan(
      project.db,
      `SELECT i.id FROM items i WHERE i.campaign_id = @campaignId AND i.kind = 'normal' AND i.holders = @holders AND i.condition IS @condition AND i.shuffle_rank >= @offset AND ${notMine} ORDER BY i.shuffle_rank LIMIT 1`,
      params,
    );
    expect(seek).toContain(
      'COVERING INDEX items_pool (campaign_id=? AND kind=? AND holders=? AND condition=? AND shuffle_rank>?)',
    );
    const quality = plan(
      project.db,
      `SELECT i.id FROM items i INDEXED BY items_pool WHERE i.campaign_id = @campaignId AND i.kind IN ('gold', 'attention') AND ${notMine} ORDER BY i.position LIMIT 1`,
      params,
    );
    expect(quality).toMatch(/items_pool \(campaign_id=\? AND kind=\?\)/);
    const kinds = plan(
      project.db,
      'SELECT i.kind, COUNT(*) FROM assignments a CROSS JOIN items i ON i.id = a.item_id WHERE a.rater_id = @raterId GROUP BY i.kind',
      params,
    );
    expect(kinds).toMatch(/assignments_by_rater/);
    for (const text of [seek, quality, kinds]) expect(text).not.toMatch(/SCAN i\b|SCAN items/);
  });
  it("the lease timer's window query seeks assignments_expiring instead of scanning assignments", () => {
    const project = makeProject();
    makeConceptCampaign(project, { items: 50 });
    const window = plan(project.db, LEASES_EXPIRED_BETWEEN_SQL, { from: 0, to: 1 });
    expect(window).toMatch(/assignments_expiring \(lease_expires_at>\? AND lease_expires_at<\?\)/);
    expect(window).not.toMatch(/SCAN a\b|SCAN assignments/);
  });
});
