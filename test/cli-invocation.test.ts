// The command printed for the user to run next (the resume after Ctrl-C) starts tlearn the way it was started:
// `npx tlearn` under npx and for node_modules/.bin links, `tlearn` only when that is on PATH, `node
// .../bin/tlearn.js` for the script run by node; arguments with spaces or quotes are quoted for the shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { invocation, shellWord } from '../src/cli/invocation.js';
import { resumeCommand } from '../src/cli/commands/train.js';

test('invocation: npx, a node_modules/.bin link, a link on PATH, a link elsewhere, node bin/tlearn.js, embedded', () => {
  const env = { PATH: '/usr/local/bin:/usr/bin' };
  // npx / npm exec run the bin link from npm's cache or node_modules/.bin, with npm_command=exec.
  assert.equal(invocation({ script: '/root/.npm/_npx/0ab5/node_modules/.bin/tlearn', env: { ...env, npm_command: 'exec', npm_lifecycle_event: 'npx' } }), 'npx tlearn');
  // An npm script runs node_modules/.bin/tlearn; that folder is not on the user's PATH, npx finds it.
  assert.equal(invocation({ script: '/home/u/proj/node_modules/.bin/tlearn', env: { ...env, npm_command: 'run-script' } }), 'npx tlearn');
  // A global install (or npm link) puts the link in a folder on PATH.
  assert.equal(invocation({ script: '/usr/local/bin/tlearn', env }), 'tlearn');
  assert.equal(invocation({ script: '/opt/tl/bin/tlearn', env }), '/opt/tl/bin/tlearn');
  // node bin/tlearn.js: node hands the script over as an absolute path.
  assert.equal(invocation({ script: '/work/main/bin/tlearn.js', env }), 'node /work/main/bin/tlearn.js');
  assert.equal(invocation({ script: '/my dir/tlearn/bin/tlearn.js', env }), "node '/my dir/tlearn/bin/tlearn.js'");
  // Called from another program's code (runCli in a script, node -e): the README's way.
  assert.equal(invocation({ script: '/home/u/experiments/run.js', env }), 'npx tlearn');
  assert.equal(invocation({ script: undefined, env }), 'npx tlearn');
});

test('shellWord quotes what a POSIX shell would split or expand, and the quoted word reads back as it was', () => {
  assert.equal(shellWord('/runs/r1'), '/runs/r1');
  assert.equal(shellWord('/runs/my run'), "'/runs/my run'");
  assert.equal(shellWord(''), "''");
  for (const word of ["it's", 'a b', '$HOME', 'x;rm -rf y', 'é', '*', '']) {
    const quoted = shellWord(word);
    assert.equal(execFileSync('/bin/sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' }), word, quoted);
  }
});

test('resumeCommand: the run folder quoted, DATA left out (--resume takes the run\'s own)', () => {
  assert.equal(resumeCommand('/tmp/runs/a b', 'npx tlearn'), "npx tlearn train --out '/tmp/runs/a b' --resume");
  assert.equal(resumeCommand('/r', 'node /x/bin/tlearn.js'), 'node /x/bin/tlearn.js train --out /r --resume');
});
