#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the root `prepare` script).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    console.error('spyglass: the collector is not built yet; run `npm install` (or `npm run build`) at the repository root.');
  } else {
    console.error(err);
  }
  process.exit(1);
});
