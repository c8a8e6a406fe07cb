#!/usr/bin/env node
'use strict';
// Thin launcher so that npm can link the bin before the bundle is built.
require('../dist/cli.js').main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : err); process.exitCode = 1; }
);
