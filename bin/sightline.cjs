#!/usr/bin/env node
// Thin launcher: the CLI is bundled by `npm run build` (run by `npm run setup`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'main', 'cli.cjs');
if (!fs.existsSync(entry)) {
  process.stderr.write(`sightline: ${entry} is missing. Run \`npm run setup\` (or \`npm run build\`) first.\n`);
  process.exit(2);
}
// runCliProcess sets the exit code (0 ok, 1 documented error, 2 usage, 70 internal error).
require(entry).runCliProcess(process.argv.slice(2));
