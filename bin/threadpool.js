// How many images the tlearn command decodes at once. sharp runs each decode on libuv's thread pool, so
// it decodes at most UV_THREADPOOL_SIZE images at once (libuv's default is 4, whatever the cores;
// https://sharp.pixelplumbing.com/performance). libuv reads the variable once, when the pool starts, and
// Node's ES module loader starts it while loading modules: bin/tlearn.js therefore sets it first, in
// CommonJS (bin/package.json), before it loads anything else.
'use strict';

/** The pool size for a machine: the cores plus 2 (file reads and hashing overlap the decodes), at least 4. */
function defaultThreadpoolSize(cores) {
  return Math.max(4, cores + 2);
}

module.exports = { defaultThreadpoolSize };
