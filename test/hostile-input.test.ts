// The hostile-input corpus: forged, damaged, huge or odd inputs, each built by the test (test/hostile/*.ts),
// given to the command line, and answered with the exit code and message the case names. Nothing here is a
// committed binary: every input is generated, so the cases stay readable and can grow.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliIn } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';
import type { HostileCase } from './hostile/case.js';

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hostile');
const modules = fs.readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'case.js').sort();

for (const file of modules) {
  const { cases } = (await import(path.join(here, file))) as { cases: HostileCase[] };
  describe(file.replace(/\.js$/, ''), () => {
    for (const c of cases) {
      test(c.name, { timeout: c.timeoutMs ?? 60_000 }, async () => {
        const dir = tempDir('tlearn-hostile-');
        const before = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
        try {
          const args = await c.setup(dir);
          Object.assign(process.env, c.env ?? {});
          const r = await cliIn(dir)(args).finally(() => {
            for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
          });
          const text = `${r.err}\n${r.out}`;
          assert.equal(r.code, c.code, `exit code of tlearn ${args.join(' ')}:\n${text.slice(0, 2000)}`);
          assert.match(text, c.message);
          await c.after?.(dir, r);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
