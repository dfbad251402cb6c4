import crypto from 'node:crypto';
import { EventBus } from '../../api/events';
import { startServer } from '../../http/server';
import { parseHost } from '../../http/request-guard';
import { openProject } from '../../project/project';
import { AppError } from '../../util/errors';
import type { Command } from '../command';
import { intOption, stringOption } from '../command';
import { clearServeInfo, DEFAULT_PORT, writeServeInfo } from '../serve-info';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the researcher UI and the rater UI over HTTP (LAN rater mode with --host 0.0.0.0)',
  usage: 'sightline serve --project DIR [--port N|0] [--host 127.0.0.1] [--allow-host NAME]...',
  options: {
    project: { type: 'string', required: true, description: 'project folder' },
    port: { type: 'string', description: 'port; 0 picks a free one', default: String(DEFAULT_PORT) },
    host: { type: 'string', description: 'address to bind; 0.0.0.0 serves raters on the LAN', default: '127.0.0.1' },
    'allow-host': {
      type: 'string',
      multiple: true,
      description:
        'another host name raters use to reach this server (a hostname or tunnel, as in `rater add --base-url`); requests naming any other host are refused',
    },
  },
  run: async (options, output) => {
    const allowedHosts = (options['allow-host'] as string[] | undefined) ?? [];
    for (const name of allowedHosts) {
      if (parseHost(name)?.port !== null)
        throw new AppError(
          'invalid_input',
          `--allow-host ${name}: expected a host name such as study.example.org (no scheme, no port)`,
        );
    }
    const project = openProject(stringOption(options, 'project'));
    const researcherToken = crypto.randomBytes(24).toString('base64url');
    const host = stringOption(options, 'host');
    const server = await startServer({
      project,
      events: new EventBus(),
      researcherToken,
      host,
      port: intOption(options, 'port'),
      allowedHosts,
    });
    writeServeInfo(project.dir, { url: server.url, pid: process.pid });
    const researcherUrl = `${server.url}/?token=${researcherToken}`;
    if (output.json) output.result({ url: server.url, researcherUrl, port: server.port, host });
    // The line tests and users look for, Jupyter-style; printed in both modes, on stderr with --json
    // so that stdout holds only the JSON value.
    const ready = `Sightline ready: ${researcherUrl}\n`;
    if (output.json) process.stderr.write(ready);
    else process.stdout.write(ready);
    if (host === '0.0.0.0' || host === '::') {
      output.info(
        `Serving on every network interface: rater links use ${server.url}. If raters reach this machine at another address (another network, a hostname), pass it to \`sightline rater add --base-url\` and to \`serve --allow-host\`.`,
      );
    }
    const stop = async () => {
      clearServeInfo(project.dir);
      await server.close();
      project.close();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await new Promise(() => {});
  },
};
