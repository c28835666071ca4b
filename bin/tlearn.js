#!/usr/bin/env node
// The `tlearn` command: runs the compiled CLI (npm run build writes dist/). CommonJS, so that it can size
// libuv's thread pool (how many images are decoded at once) before any module starts it: see threadpool.js.
'use strict';
const { availableParallelism } = require('node:os');
const { defaultThreadpoolSize } = require('./threadpool.js');

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = String(defaultThreadpoolSize(availableParallelism()));
import('../dist/src/cli/main.js').then(({ main }) => main());
