// `sightline serve --allow-host NAME`: raters who reach the server by a hostname or through a tunnel
// (the name given to `rater add --base-url`) get past the Host check; other names still get 403.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaptured } from '../helpers/cli';
import { makeConceptCampaign, makeProject, makeRater } from '../helpers/factories';
import { postApi } from '../helpers/http';

describe('serve --allow-host', () => {
  it('accepts the named host and still refuses others', async () => {
    const project = makeProject();
    const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1 });
    const cleo = makeRater(project, campaignId, 'cleo');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'jobs', 'cli-child.ts'),
        'serve',
        '--project',
        project.dir,
        '--port',
        '0',
        '--json',
        '--allow-host',
        'study.example.org',
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
      const { port } = JSON.parse(out.trim());
      expect(
        (
          await postApi(
            port,
            cleo.token,
            'rater.session',
            {},
            { Host: 'study.example.org', Origin: 'https://study.example.org' },
          )
        ).json,
      ).toMatchObject({ ok: true, value: { raterName: 'cleo' } });
      expect((await postApi(port, cleo.token, 'rater.session', {}, { Host: 'other.example.org' })).status).toBe(403);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 40_000);

  it('refuses a URL or a port where a host name belongs, naming the option', async () => {
    const project = makeProject();
    for (const wrong of ['https://study.example.org', 'study.example.org:443', 'a b']) {
      const { code, err } = await runCaptured(['serve', '--project', project.dir, '--allow-host', wrong]);
      expect(code).not.toBe(0);
      expect(err).toContain(`--allow-host ${wrong}: expected a host name`);
    }
  });
});
