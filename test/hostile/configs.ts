// Run configurations that attack the YAML parser or slip in what tlearn does not know: a "billion laughs" of
// aliases (nine levels of nine references: 387 million strings once expanded), a merge-key bomb, tags that ask
// a loader to run code, and keys that do not exist. Each is refused before any data is read or anything is
// written, with exit 2 and a message naming the file and the key. (The tags are not refused as tags today: the
// yaml package warns on the process and keeps the value, which then fails the key's type check.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { HostileCase } from './case.js';
import { dataFolder } from '../helpers/hostile-commands.js';

function config(name: string, file: string, text: string | ((dir: string) => string), message: RegExp): HostileCase {
  return {
    name,
    async setup(dir) {
      await dataFolder(dir);
      fs.writeFileSync(path.join(dir, file), typeof text === 'string' ? text : text(dir));
      return ['train', 'data', '--out', 'run', '--config', file, '--weights', 'none', '--arch', 'resnet18', '--image-size', '32', '--threads', '1'];
    },
    code: 2,
    message,
    after(dir) {
      assert.equal(fs.existsSync(path.join(dir, 'run')), false, 'a refused configuration starts nothing');
      assert.equal(fs.existsSync(path.join(dir, 'PWNED')), false, 'nothing from the file ran');
    },
  };
}

/** Nine levels, each a list of nine aliases of the level below. */
function laughs(): string {
  const lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

/** Merge keys doubling a mapping at each of 30 levels. */
function mergeBomb(): string {
  const lines = ['m0: &m0 {a: 1, b: 2}'];
  for (let i = 1; i <= 30; i++) lines.push(`m${i}: &m${i} {x: *m${i - 1}, y: *m${i - 1}, <<: *m${i - 1}}`);
  return `${lines.join('\n')}\n`;
}

export const cases: HostileCase[] = [
  config('a YAML "billion laughs" of aliases, to train --config', 'run.yaml', laughs(),
    /run\.yaml\):\s+config: not valid YAML: Excessive alias count indicates a resource exhaustion attack/),
  config('a YAML bomb of merge keys and aliases, to train --config', 'run.yaml', mergeBomb(),
    /run\.yaml\):\s+config: not valid YAML: Excessive alias count/),
  config('a YAML tag asking a Python loader to call os.system, to train --config', 'run.yaml',
    (dir) => `seed: !!python/object/apply:os.system ["touch ${path.join(dir, 'PWNED')}"]\n`,
    /run\.yaml\):\s+config: not valid YAML: the tag !!python\/object\/apply:os\.system \(line 1\) is not one tlearn reads/),
  config('a YAML tag on a value that would otherwise be accepted, to train --config', 'run.yaml',
    'checkpointFormat: !!python/object/apply:os.system "both"\n',
    /run\.yaml\):\s+config: not valid YAML: the tag !!python\/object\/apply:os\.system \(line 1\) is not one tlearn reads/),
  config('a YAML tag asking for a JavaScript function, to train --config', 'run.yaml',
    'seed: !!js/function "function () { require(\'fs\').writeFileSync(\'PWNED\', \'\') }"\n',
    /run\.yaml\):\s+config: not valid YAML: the tag !!js\/function \(line 1\) is not one tlearn reads/),
  config('an unknown top-level key, to train --config', 'run.yaml', 'epochz: 5\n',
    /run\.yaml\):\s+config\.epochz: unknown key; expected one of data, model,/),
  config('an unknown key inside a phase, to train --config', 'run.json', '{"phases": [{"epochs": 1, "learning_rate": 0.1}]}\n',
    /run\.json\):\s+config\.phases\[0\]\.learning_rate: unknown key; expected one of .*\blr\b/),
];
