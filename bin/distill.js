#!/usr/bin/env node
// Thin launcher: the CLI itself is bundled into dist/cli.js by `npm run build`
// (which `npm ci` / `npm install` run through the "prepare" script).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`distill: ${cli} is missing; run "npm run build" in ${path.dirname(__dirname)} first\n`);
  process.exit(1);
}
require(cli);
