// Hostile configuration files, --set values, CSV encodings and SVG drawings named as raster images (issue #15,
// items 5, 8, 9 and 10): each is refused early with a short message naming the problem, or read correctly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writePng } from '../data-fixtures.js';
import { tinyModelFile } from '../helpers/model-files.js';
import { cliIn, type CliResult } from '../helpers/cli.js';
import { dataFolder } from '../helpers/hostile-commands.js';
import type { HostileCase } from './case.js';

/** The longest run of 'x' in a text: how much of a value made of x's a message quotes. */
function longestRun(text: string): number {
  let best = 0;
  for (const m of text.matchAll(/x+/g)) best = Math.max(best, m[0].length);
  return best;
}

/** The message quotes at most ~100 characters of the value and is short as a whole. */
function shortMessage(_dir: string, r: CliResult): void {
  const text = r.err + r.out;
  assert.ok(longestRun(text) <= 100, `${longestRun(text)} characters of the value quoted`);
  assert.ok(text.length < 2000, `a message of ${text.length} characters`);
}

/** Nothing was written for a run refused before it started. */
const noRun = (dir: string) => assert.equal(fs.existsSync(path.join(dir, 'run')), false, 'run/ was created');

/** DIR/data: two PNGs of each class (cat, dog) and labels.csv listing them (`split` for every row, if given). */
async function csvData(dir: string, split?: string): Promise<{ root: string; text: string }> {
  const root = path.join(dir, 'data');
  const rows: string[] = [];
  for (const [i, cls] of ['cat', 'cat', 'dog', 'dog'].entries()) {
    const rel = `${cls}/${cls}é${i}.png`;
    await writePng(path.join(root, rel), 24, 20, i);
    rows.push(`${rel},${cls}${split ? `,${split}` : ''}`);
  }
  return { root, text: `path,label${split ? ',split' : ''}\r\n${rows.join('\r\n')}\r\n` };
}

/** An SVG drawing declared 100000×100000 with about 1 MB of shapes, which librsvg parsed for the header alone. */
const hugeSvg = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a drawing -->\n' +
  `<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">${'<rect width="10" height="10"/>'.repeat(35_000)}</svg>\n`;

export const cases: HostileCase[] = [
  {
    name: 'a 2 MB YAML config (a long list), to train',
    setup(dir) {
      fs.writeFileSync(path.join(dir, 'big.yaml'), `seed: 1\nitems:\n${'- 1\n'.repeat(512 * 1024)}`);
      return ['train', 'data', '--config', 'big.yaml', '--out', 'run'];
    },
    code: 2,
    message: /invalid configuration \(.*big\.yaml\):\n {2}config: the file is 2\.0 MB; a configuration file is at most 1 MB/,
    after: noRun,
  },
  {
    name: 'a config file holding one 50 MB string value, to train',
    setup(dir) {
      fs.writeFileSync(path.join(dir, 'huge.yaml'), `augment: "${'x'.repeat(50_000_000)}"\n`);
      return ['train', 'data', '--config', 'huge.yaml', '--out', 'run'];
    },
    code: 2,
    message: /config: the file is 47\.7 MB; a configuration file is at most 1 MB/,
    after: (dir, r) => { shortMessage(dir, r); noRun(dir); },
  },
  {
    name: 'a --set value of 50 MB, to train',
    setup: () => ['train', 'data', '--out', 'run', '--set', `augment=${'x'.repeat(50_000_000)}`],
    code: 2,
    message: /--set augment \(config\.augment\): expected one of "none", "flip", "light", "standard", "dihedral", "trivial", "randaugment", got "x+…x+" \(50000000 characters\)/,
    after: (dir, r) => { shortMessage(dir, r); noRun(dir); },
  },
  {
    name: 'a --set of 50 MB without "=", to train --json (commander refuses it, quoting the argument)',
    setup: () => ['train', 'data', '--out', 'run', '--json', '--set', 'x'.repeat(50_000_000)],
    code: 2,
    message: /option '--set <key=value>' argument 'x+…x+ \(50000000 characters\)' is invalid/,
    after(dir, r) {
      shortMessage(dir, r);
      assert.match(r.out, /"type":"error"/, 'the --json stream ends with its error event');
      noRun(dir);
    },
  },
  {
    name: 'a --weights path of 1 MB that does not exist, to train',
    setup(dir) {
      fs.mkdirSync(path.join(dir, 'data'));
      return ['train', 'data', '--out', 'run', '--weights', `${'x'.repeat(1_000_000)}.pth`];
    },
    code: 2,
    message: /the weights file \/.*…x+\.pth \(\d+ characters\) does not exist/,
    after: (dir, r) => { shortMessage(dir, r); noRun(dir); },
  },
  {
    name: 'a --positive of 2 MB, to train',
    async setup(dir) {
      for (const cls of ['cat', 'dog']) for (let i = 0; i < 3; i++) await writePng(path.join(dir, 'data', cls, `${i}.png`), 24, 20, i);
      return ['train', 'data', '--out', 'run', '--weights', 'none', '--positive', 'x'.repeat(2_000_000)];
    },
    code: 2,
    message: /positive class 'x+…x+ \(2000000 characters\)' is not one of the classes found in .*data: 'cat' \(3 images\), 'dog' \(3 images\)/,
    after: shortMessage,
  },
  {
    name: 'a CSV whose header is one 2 MB field, to train',
    async setup(dir) {
      const { root } = await csvData(dir);
      fs.writeFileSync(path.join(root, 'labels.csv'), `${'x'.repeat(2_000_000)},label\ncat/caté0.png,cat\n`);
      return ['train', 'data/labels.csv', '--out', 'run', '--weights', 'none'];
    },
    code: 2,
    message: /labels\.csv: header not recognised: no path column \(got: x+…x+,label \(2000006 characters\)\)/,
    after: shortMessage,
  },
  {
    name: 'a CSV with a class name of 2 MB, to train',
    async setup(dir) {
      const { root, text } = await csvData(dir);
      fs.writeFileSync(path.join(root, 'labels.csv'), text.replace(/,dog\r\n/g, `,${'x'.repeat(2_000_000)}\r\n`).replace(/,cat\r\n/, ',bird\r\n'));
      return ['train', 'data/labels.csv', '--out', 'run', '--weights', 'none'];
    },
    code: 2,
    // Three labels are a multiclass task (issue 16): the split's message names each class too small, shortened.
    message: /class 'bird' has only 1 image[\s\S]*class 'x+…x+ \(2000000 characters\)' has only 2 images/,
    after: shortMessage,
  },
  {
    name: 'a CSV row whose path and split are 2 MB each, to train',
    async setup(dir) {
      const { root, text } = await csvData(dir);
      fs.writeFileSync(path.join(root, 'labels.csv'), `${text}${'x'.repeat(2_000_000)}.png,cat\r\ncat/caté0.png,cat,${'x'.repeat(2_000_000)}\r\n`);
      return ['train', 'data/labels.csv', '--out', 'run', '--weights', 'none'];
    },
    code: 2,
    message: /line 6: x+…x+\.png \(2000004 characters\) \(not found\)/,
    after: shortMessage,
  },
  {
    name: 'a JSON config with a key given twice, to train',
    setup(dir) {
      fs.writeFileSync(path.join(dir, 'run.json'), '{\n  "phases": [\n    {"epochs": 1},\n    {"lr": 1e-5,\n     "epochs": 2,\n     "lr": 1e-4}\n  ]\n}\n');
      return ['train', 'data', '--config', 'run.json', '--out', 'run'];
    },
    code: 2,
    message: /config\.phases\[1\]\.lr: "lr" is given twice \(lines 4 and 6\); JSON readers keep only the last, so remove one/,
    after: noRun,
  },
  {
    name: 'a RUN/config.json with a key given twice, to train --resume',
    async setup(dir) {
      // A real run of one epoch (a folder with no completed epoch is a failed start, which --resume refuses first).
      await dataFolder(dir);
      const trained = await cliIn(dir)(['train', 'data', '--out', 'run', '--weights', 'none', '--arch', 'resnet18', '--image-size', '32',
        '--epochs1', '1', '--epochs2', '0', '--batch-size', '4', '--threads', '1']);
      assert.equal(trained.code, 0, trained.err);
      const file = path.join(dir, 'run', 'config.json');
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /"seed": 0,/);
      fs.writeFileSync(file, text.replace('"seed": 0,', '"seed": 0,\n  "seed": 1,'));
      return ['train', '--out', 'run', '--resume'];
    },
    code: 2,
    message: /config\.seed: "seed" is given twice \(lines \d+ and \d+\)/,
    after(dir) {
      assert.match(fs.readFileSync(path.join(dir, 'run', 'config.json'), 'utf8'), /"seed": 0,\n {2}"seed": 1,/, 'config.json is left as it was');
    },
  },
  {
    name: 'a CSV in UTF-16 (LE, with its BOM), to evaluate: read as its text',
    async setup(dir) {
      const { root, text } = await csvData(dir, 'test');
      fs.writeFileSync(path.join(root, 'labels.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
      return ['evaluate', tinyModelFile(dir), 'data/labels.csv', '--out', 'eval'];
    },
    code: 0,
    message: /accuracy/i,
    after(dir) {
      const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'eval', 'metrics.json'), 'utf8')) as { n: number };
      assert.equal(metrics.n, 4, 'every row of the CSV was evaluated');
    },
    timeoutMs: 120_000,
  },
  {
    name: 'a CSV in Latin-1, to train',
    async setup(dir) {
      const { root, text } = await csvData(dir);
      fs.writeFileSync(path.join(root, 'labels.csv'), Buffer.from(text, 'latin1'));
      return ['train', 'data/labels.csv', '--out', 'run', '--weights', 'none'];
    },
    code: 2,
    // 'path,label\r\n' is 12 bytes, 'cat/cat' 7 more: the 'é' is byte 20.
    message: /data\/labels\.csv is not UTF-8 text \(byte 20, line 2\); save it as UTF-8/,
  },
  {
    name: 'an SVG drawing declared 100000x100000 named .png, to predict (beside a PNG)',
    async setup(dir) {
      fs.writeFileSync(path.join(dir, 'drawing.png'), hugeSvg);
      await writePng(path.join(dir, 'photo.png'), 24, 20);
      return ['predict', tinyModelFile(dir), 'drawing.png', 'photo.png'];
    },
    code: 0,
    message: /drawing\.png: SVG \(a vector drawing\) is not an image format tlearn reads/,
    timeoutMs: 120_000,
  },
  {
    name: 'an SVG drawing declared 100000x100000 named .png in a training folder (the only val image), to train',
    async setup(dir) {
      for (const cls of ['cat', 'dog']) {
        for (let i = 0; i < 2; i++) await writePng(path.join(dir, 'data', 'train', cls, `${i}.png`), 24, 20, i);
      }
      fs.mkdirSync(path.join(dir, 'data', 'val', 'cat'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data', 'val', 'cat', 'drawing.png'), hugeSvg);
      await writePng(path.join(dir, 'data', 'val', 'dog', 'd.png'), 24, 20, 5);
      return ['train', 'data', '--out', 'run', '--weights', 'none', '--arch', 'resnet18', '--image-size', '32'];
    },
    code: 2,
    message: /split 'val' has no usable images of class 'cat' \(1 unreadable file\(s\) were skipped; see audit\.json\)/,
    after(dir) {
      const audit = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'audit.json'), 'utf8')) as { unreadable: Array<{ path: string; reason: string }> };
      assert.equal(audit.unreadable.length, 1);
      assert.match(audit.unreadable[0]!.reason, /^SVG \(a vector drawing\) is not an image format tlearn reads/);
    },
    timeoutMs: 120_000,
  },
];
