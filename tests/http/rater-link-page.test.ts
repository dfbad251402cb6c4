// Issue 15: a rater link (/rate?token=…) that names nobody, or a rater the researcher revoked, leads
// to a plain page saying what happened and whom to ask: 404 or 403, one h1, a title, no stack trace,
// the campaign's contact escaped like every other piece of text.
import { describe, expect, it } from 'vitest';
import { makeProject } from '../helpers/factories';
import { type Answer, postApi, request, serveProject } from '../helpers/http';

const CSV = ['question,answer,options', 'What is shown?,A fish.,"[""goldfish"",""volcano""]"'].join('\n');

async function setUp(contact?: string) {
  const project = makeProject();
  const server = await serveProject(project);
  const api = async (method: string, input: unknown) => {
    const answer = await postApi(server.port, server.researcherToken, method, input);
    if (!answer.json?.ok) throw new Error(`${method}: ${answer.body}`);
    return answer.json.value;
  };
  const { campaignId } = await api('campaigns.create', {
    name: 'Which concept?',
    template: 'concept-choice',
    settings: { overlap: 1, ...(contact === undefined ? {} : { contact }) },
    source: { kind: 'file', fileName: 'items.csv', text: CSV },
  });
  const open = (path: string): Promise<Answer> =>
    request(server.port, 'GET', path, { Host: `127.0.0.1:${server.port}` });
  return { server, api, campaignId, open };
}

/** The structure every refusal page keeps: one h1, a title, no internals. */
function expectPlainPage(answer: Answer, heading: string): void {
  expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['content-security-policy']).toBeTruthy();
  expect(answer.body.match(/<h1>/g)).toHaveLength(1);
  expect(answer.body).toContain(`<h1>${heading}</h1>`);
  expect(answer.body).toContain(`<title>Sightline: ${heading}</title>`);
  expect(answer.body).not.toMatch(/\bat \S+:\d+|Error|unauthorized|revoked|token/);
}

describe('the page a bad or withdrawn rater link leads to', () => {
  it('a token that names no rater: 404, "This link is not valid", ask the person who sent the link', async () => {
    const { open } = await setUp('Ada <ada@lab.example>');
    const answer = await open('/rate?token=made-up-token');
    expect(answer.status).toBe(404);
    expectPlainPage(answer, 'This link is not valid');
    expect(answer.body).toContain('ask the person who sent you the link to send it again');
  });

  it('a revoked rater: 403, "This link has been withdrawn", ask the campaign\'s contact (escaped)', async () => {
    const { api, campaignId, open } = await setUp('Ada <ada@lab.example>');
    const rater = await api('raters.add', { campaignId, name: 'ana' });
    expect((await open(rater.link)).status).toBe(200); // the rater page while the link is live
    await api('raters.revoke', { raterId: rater.id });
    const answer = await open(rater.link);
    expect(answer.status).toBe(403);
    expectPlainPage(answer, 'This link has been withdrawn');
    expect(answer.body).toContain('Any answers you gave before are kept.');
    expect(answer.body).toContain('ask Ada &lt;ada@lab.example&gt; for a new link');
    expect(answer.body).not.toContain('<ada@');
  });

  it('a revoked rater of a campaign without a contact: ask the person who sent you the link', async () => {
    const { api, campaignId, open } = await setUp();
    const rater = await api('raters.add', { campaignId, name: 'ana' });
    await api('raters.revoke', { raterId: rater.id });
    const answer = await open(rater.link);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('ask the person who sent you the link for a new link');
  });

  it('leaves the page to itself without a token, and for the researcher token', async () => {
    const { server, open } = await setUp();
    for (const path of ['/rate', `/rate?token=${server.researcherToken}`]) {
      const answer = await open(path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).toBe('<!doctype html><title>Sightline</title>');
    }
  });

  it('refuses a contact over 200 characters when the campaign is created', async () => {
    const project = makeProject();
    const server = await serveProject(project);
    const answer = await postApi(server.port, server.researcherToken, 'campaigns.create', {
      name: 'long contact',
      template: 'concept-choice',
      settings: { contact: 'x'.repeat(201) },
      source: { kind: 'file', fileName: 'items.csv', text: CSV },
    });
    expect(answer.json).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(answer.json.error.message).toContain('settings.contact');
  });
});
