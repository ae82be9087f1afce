#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build`.
import('../dist/src/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('skyfleet is not built yet: run `npm run build` first\n');
    process.exit(1);
  }
  throw e;
});
