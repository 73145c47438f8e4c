#!/usr/bin/env node
// Installs dependencies when node_modules is missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone with nothing typed before them.
// Plain Node, no dependencies: it runs before any are installed.
'use strict';
const { createHash } = require('node:crypto');
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lock = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.sagachart-deps-stamp');
const wanted = createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '';

if (have !== wanted) {
  console.log('[sagachart] installing dependencies (node_modules is missing or stale)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(stamp, wanted + '\n');
}
