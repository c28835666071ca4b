// The run-folder rules have one owner (src/train/run-dir.ts checkRunDir): `tlearn train` and the library's
// train() refuse the same folders with the same message, before anything is loaded or written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { train, RunDirError } from '../src/train/index.js';
import { cliIn } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

interface Case { name: string; make: (out: string) => void; resume: boolean; message: RegExp }

const cases: Case[] = [
  { name: 'a file', make: (out) => fs.writeFileSync(out, 'x'), resume: false, message: /is a file, not a folder/ },
  {
    name: 'someone else\'s files beside a config.json', resume: false, message: /exists and is not empty \(notes\.txt\); choose another --out/,
    make: (out) => { fs.mkdirSync(out); fs.writeFileSync(path.join(out, 'config.json'), 'mine'); fs.writeFileSync(path.join(out, 'notes.txt'), 'mine'); },
  },
  {
    name: 'an earlier run', resume: false, message: /already holds a run \(best_model_phase1\.safetensors\)/,
    make: (out) => { fs.mkdirSync(out); fs.writeFileSync(path.join(out, 'config.json'), '{}'); fs.writeFileSync(path.join(out, 'best_model_phase1.safetensors'), 'x'); },
  },
  { name: 'nothing to resume', make: () => undefined, resume: true, message: /nothing to resume: .*last does not exist/ },
  {
    name: 'a resume state without config.json', resume: true, message: /cannot resume: .*config\.json is missing/,
    make: (out) => { fs.mkdirSync(path.join(out, 'last'), { recursive: true }); fs.writeFileSync(path.join(out, 'last', 'state.json'), '{}'); },
  },
];

test('tlearn train and train() refuse the same run folders with the same message, and keep what is there', async () => {
  const root = tempDir('tlearn-rundir-rules-');
  try {
    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    const cli = cliIn(root);
    for (const c of cases) {
      const slug = c.name.replace(/\W+/g, '-');
      const viaCli = path.join(root, `cli-${slug}`);
      const viaLib = path.join(root, `lib-${slug}`);
      c.make(viaCli);
      c.make(viaLib);
      const r = await cli(['train', ...(c.resume ? [] : ['data']), '--out', viaCli, ...(c.resume ? ['--resume'] : [])]);
      assert.equal(r.code, 2, `${c.name}: ${r.err}`);
      const cliMessage = r.err.replace(/^tlearn train: /, '').trimEnd();
      assert.match(cliMessage, c.message, c.name);
      let libMessage = '';
      await assert.rejects(train({ data: { path: data } }, { out: viaLib, resume: c.resume, handleSigint: false, quiet: true, skipEvaluation: true }),
        (e: Error) => { libMessage = e.message; return e instanceof RunDirError; }, c.name);
      assert.equal(libMessage.replaceAll(viaLib, 'OUT'), cliMessage.replaceAll(viaCli, 'OUT'), c.name);
      if (c.name.startsWith('someone')) assert.equal(fs.readFileSync(path.join(viaLib, 'config.json'), 'utf8'), 'mine', 'their config.json is kept');
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
