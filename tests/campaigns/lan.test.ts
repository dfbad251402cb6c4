// Raters on the LAN (`sightline serve --host 0.0.0.0`): the server is reachable on the machine's
// network address only when asked, and a rater's token reaches only that rater's work there.
import crypto from 'node:crypto';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

const post = (base: string, token: string, method: string, input: unknown) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(input) }).then(
    (response) => response.json() as Promise<any>,
  );

// A machine with no network interface has no LAN to serve; the test says so instead of passing.
describe.skipIf(!lanAddress)(`raters on the LAN (${lanAddress ?? 'no network address'})`, () => {
  it('binds 127.0.0.1 by default, so the network address is refused', async () => {
    const project = makeProject();
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    await expect(fetch(`http://${lanAddress}:${server.port}/api/rater.session`, { method: 'POST' })).rejects.toThrow();
  });

  it('with --host 0.0.0.0 a rater works over the network address, and their token reaches nothing else', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 3, overlap: 2 });
    const ana = makeRater(project, campaignId, 'ana');
    const ben = makeRater(project, campaignId, 'ben');
    server = await startServer({ project, events: new EventBus(), researcherToken: crypto.randomUUID(), host: '0.0.0.0', port: 0 });
    const lan = `http://${lanAddress}:${server.port}`;

    const next = await post(lan, ana.token, 'rater.next', { count: 1 });
    expect(next.ok).toBe(true);
    const [item] = next.value.items;
    const submitted = await post(lan, ana.token, 'rater.submit', { assignmentId: item.assignmentId, answer: { concept: item.questions[0].options[0].value }, activeMs: 900 });
    expect(submitted).toMatchObject({ ok: true, value: { progress: { submitted: 1 } } });

    // Research data and other raters' work stay out of reach of a rater token.
    expect(await post(lan, ana.token, 'campaigns.monitor', { campaignId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await post(lan, ben.token, 'rater.flag', { assignmentId: item.assignmentId, comment: 'not mine' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await post(lan, 'not-a-token', 'rater.next', { count: 1 })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});
