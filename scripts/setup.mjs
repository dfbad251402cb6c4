// `npm run setup`: installs everything and builds, using nothing but Node and npm (no installed
// dependencies are needed to run this file).
//
// Offline by default: the Electron runtime and onnxruntime-node's CUDA provider are downloaded
// from outside the npm registry by their postinstall steps, so they are skipped unless asked for
// with `npm run setup -- --with-runtimes` (or SIGHTLINE_DOWNLOAD_RUNTIMES=1) on a connected machine.
// Without the Electron runtime, `npm start` serves the same UI to a browser; without the CUDA
// provider, the engine runs on the CPU.
import { spawnSync } from 'node:child_process';

const withRuntimes = process.argv.includes('--with-runtimes') || process.env.SIGHTLINE_DOWNLOAD_RUNTIMES === '1';
const env = { ...process.env };
if (!withRuntimes) {
  env.ELECTRON_SKIP_BINARY_DOWNLOAD = '1';
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
} else {
  // onnxruntime-node fetches its CUDA 12 provider when asked to.
  env.ONNXRUNTIME_NODE_INSTALL_CUDA = env.ONNXRUNTIME_NODE_INSTALL_CUDA ?? 'v12';
}

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`sightline setup: \`${command} ${args.join(' ')}\` failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
run(npm, [process.env.CI ? 'ci' : 'install', '--no-audit', '--no-fund']);
run(npm, ['run', 'build']);
console.log(
  withRuntimes
    ? 'sightline setup: done (Electron runtime and CUDA provider requested).'
    : 'sightline setup: done (offline: no Electron runtime, CPU engine; `npm run setup -- --with-runtimes` fetches them on a connected machine).',
);
