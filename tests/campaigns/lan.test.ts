// Raters on the LAN (`sightline serve --host 0.0.0.0`): the server is reachable on the machine's
// network address only when asked, and a rater's token reaches only that rater's work there.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import { startServer, type RunningServer } from '../../src-main/http/server';
import { runCaptured } from '../helpers/cli';
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
  fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(input),
  }).then((response) => response.json() as Promise<any>);

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
    server = await startServer({
      project,
      events: new EventBus(),
      researcherToken: crypto.randomUUID(),
      host: '0.0.0.0',
      port: 0,
    });
    const lan = `http://${lanAddress}:${server.port}`;
    // Links name the network address, not 127.0.0.1 (which a rater's own machine would be).
    expect(server.url).toBe(lan);

    const next = await post(lan, ana.token, 'rater.next', { count: 1 });
    expect(next.ok).toBe(true);
    const [item] = next.value.items;
    const submitted = await post(lan, ana.token, 'rater.submit', {
      assignmentId: item.assignmentId,
      answer: { concept: item.questions[0].options[0].value },
      activeMs: 900,
    });
    expect(submitted).toMatchObject({ ok: true, value: { progress: { submitted: 1 } } });

    // Research data and other raters' work stay out of reach of a rater token.
    expect(await post(lan, ana.token, 'campaigns.monitor', { campaignId })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(
      await post(lan, ben.token, 'rater.flag', { assignmentId: item.assignmentId, comment: 'not mine' }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await post(lan, 'not-a-token', 'rater.next', { count: 1 })).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
  });

  it('`serve --host 0.0.0.0` records the network address, so `rater add` prints a link a LAN rater can open', async () => {
    const project = makeProject();
    makeConceptCampaign(project, { items: 2, overlap: 1, name: 'lan study' });
    project.close();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'jobs', 'cli-child.ts'),
        'serve',
        '--project',
        project.dir,
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--json',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      const deadline = Date.now() + 30_000;
      while (!out.includes('\n') && child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const served = JSON.parse(out.trim());
      expect(served.url).toBe(`http://${lanAddress}:${served.port}`);

      const added = await runCaptured([
        'rater',
        'add',
        '--project',
        project.dir,
        '--campaign',
        'lan study',
        '--name',
        'cleo',
      ]);
      expect(added.code).toBe(0);
      const link = /: (http\S+)/.exec(added.out)![1];
      expect(link.startsWith(`http://${lanAddress}:${served.port}/rate?token=`)).toBe(true);
      const token = new URL(link).searchParams.get('token')!;
      expect(await post(new URL(link).origin, token, 'rater.session', {})).toMatchObject({
        ok: true,
        value: { raterName: 'cleo' },
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 40_000);
});
