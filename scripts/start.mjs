// `npm start`: the Electron window when the Electron runtime is installed; otherwise the same UI
// served to a browser (Jupyter-style URL with the researcher token), with one line saying why.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const project = process.env.SIGHTLINE_PROJECT ?? path.join(root, 'demo.sightline');

// electron's index.js downloads the runtime when it is missing, so look for it without requiring it.
function electronBinary() {
  try {
    const dir = path.dirname(require.resolve('electron/package.json'));
    const pathFile = path.join(dir, 'path.txt');
    if (!fs.existsSync(pathFile)) return null;
    const binary = path.join(dir, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

if (!fs.existsSync(path.join(root, 'dist', 'main', 'cli.cjs'))) {
  console.error('sightline: not built yet. Run `npm run setup` first.');
  process.exit(2);
}

const binary = electronBinary();
const args = process.argv.slice(2);
let child;
if (binary) {
  child = spawn(binary, [root, '--project', project, ...args], { stdio: 'inherit' });
} else {
  console.log(
    'Sightline: no Electron runtime installed (set-up skipped its download, e.g. offline), so serving the UI to a browser instead.',
  );
  const cli = path.join(root, 'bin', 'sightline.cjs');
  if (!fs.existsSync(path.join(project, 'project.sqlite'))) {
    const demo = spawn(process.execPath, [cli, 'demo', '--project', project], { stdio: 'inherit' });
    const code = await new Promise((resolve) => demo.on('exit', resolve));
    if (code !== 0) process.exit(code ?? 1);
  }
  child = spawn(process.execPath, [cli, 'serve', '--project', project, ...args], { stdio: 'inherit' });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
