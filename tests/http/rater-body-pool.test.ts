import { describe, expect, it } from 'vitest';
import { CONCURRENT_BODIES_PER_TOKEN, RATER_BODIES_IN_FLIGHT } from '../../src-main/http/limits';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';
import { holdBody, postApi, serveProject } from '../helpers/http';

describe('rater bodies in flight across all rater tokens', () => {
  it(`holds at most ${RATER_BODIES_IN_FLIGHT} at once (429 past that, the researcher unaffected), and frees slots as requests end`, async () => {
    expect(RATER_BODIES_IN_FLIGHT).toBeGreaterThan(CONCURRENT_BODIES_PER_TOKEN.rater);
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 2 });
    // One body per rater: no token reaches its own limit, only the pool fills.
    const raters = Array.from({ length: RATER_BODIES_IN_FLIGHT + 1 }, (_, index) =>
      makeRater(project, campaignId, `rater-${index}`),
    );
    const late = raters.pop()!;
    const server = await serveProject(project);
    const held = await Promise.all(raters.map((rater) => holdBody(server, rater.token)));
    try {
      const refused = await postApi(server.port, late.token, 'rater.session', {});
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({
        ok: false,
        error: { code: 'too_many_requests', message: expect.stringMatching(/all raters/) },
      });
      expect((await postApi(server.port, server.researcherToken, 'project.overview', {})).json).toMatchObject({
        ok: true,
      });
      held.pop()!.destroy();
      await expect
        .poll(async () => (await postApi(server.port, late.token, 'rater.session', {})).status, { timeout: 10_000 })
        .toBe(200);
    } finally {
      for (const outgoing of held) outgoing.destroy();
    }
  });
});
