#!/usr/bin/env node
// The weir command: a thin launcher for the compiled CLI in dist/.
import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2)));
