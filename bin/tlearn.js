#!/usr/bin/env node
// The `tlearn` command: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/src/cli/main.js';

await main();
