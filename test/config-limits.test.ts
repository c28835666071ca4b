// Hostile configuration input: files too large to be a configuration, values and keys of megabytes (quoted with
// at most ~100 of their characters in every message), JSON files with a key given twice (refused as YAML refuses
// them, naming the key and its lines), and files that are not UTF-8 text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, MAX_CONFIG_BYTES, resolveConfig } from '../src/train/config/index.js';
import { checkResumeConfig } from '../src/train/resume/config.js';
import { runPaths } from '../src/train/run-dir.js';
import { quote, shorten } from '../src/format/quote.js';
import { tempDir } from './helpers/temp.js';
import { issuesOf } from './helpers/config-issues.js';

const dir = tempDir('tlearn-cfglimits-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** The longest run of `ch` in `text`: how much of a value made of that character a message quotes. */
function longestRun(text: string, ch = 'x'): number {
  let best = 0;
  for (const m of text.matchAll(new RegExp(`${ch}+`, 'g'))) best = Math.max(best, m[0].length);
  return best;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('shorten and quote keep at most 100 characters of a text, its start and its end, and say how long it was', () => {
  assert.equal(shorten('short'), 'short');
  assert.equal(shorten('y'.repeat(100)), 'y'.repeat(100));
  const long = `${'a'.repeat(500)}${'b'.repeat(500)}`;
  const s = shorten(long);
  assert.ok(s.startsWith('aaaa') && s.includes('…') && /b \(1000 characters\)$/.test(s), s);
  assert.ok(s.replace(/ \(1000 characters\)$/, '').length <= 100, s);
  assert.equal(quote('a"b'), '"a\\"b"');
  assert.match(quote('x'.repeat(10_000)), /^"x+…x+" \(10000 characters\)$/);
  assert.ok(longestRun(quote('x'.repeat(10_000))) <= 100);
  // A cut never splits a character outside the Basic Multilingual Plane (a surrogate pair) in two.
  const emoji = shorten('😀'.repeat(300));
  assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u);
});

test('a config file over 1 MB is refused by its size before it is read or parsed', () => {
  assert.equal(MAX_CONFIG_BYTES, 1024 * 1024);
  // 2 MB of YAML list: parsing it took seconds and hundreds of MB before the unknown key was reported.
  const big = write('big.yaml', `seed: 1\nitems:\n${'- 1\n'.repeat(512 * 1024)}`);
  const t0 = performance.now();
  const [issue] = issuesOf(() => resolveConfig({ file: big, overrides: { data: '/d' } }));
  assert.ok(performance.now() - t0 < 500, `took ${performance.now() - t0} ms`);
  assert.equal(issue, 'config: the file is 2.0 MB; a configuration file is at most 1 MB (is it the right file?)');
  // The limit itself is allowed: a file of exactly 1 MB (mostly a comment) loads.
  const edge = `seed: 3\n#${'c'.repeat(MAX_CONFIG_BYTES - 10)}\n`;
  assert.equal(Buffer.byteLength(edge), MAX_CONFIG_BYTES);
  assert.equal(resolveConfig({ file: write('edge.yaml', edge), overrides: { data: '/d' } }).seed, 3);
  assert.match(issuesOf(() => resolveConfig({ file: write('over.yaml', `${edge}\n`), overrides: { data: '/d' } }))[0]!, /^config: the file is more than 1 MB; a configuration file is at most 1 MB/);
});

// "Quickly" guards against work quadratic in the value's length (minutes at 50 MB), not a speed: the bound is loose
// because CI's 2 cores may be shared (7 s was measured under a load of 18).
test('a 50 MB value or key is quoted with at most 100 of its characters, and quickly', { timeout: 240_000 }, () => {
  const L = 'x'.repeat(50_000_000);
  const cases: Array<[string, unknown]> = [
    ['unknown top-level key', { [L]: 1 }],
    ['unknown key in a section', { model: { [L]: 1 } }],
    ['a choice', { augment: L }],
    ['posWeight', { posWeight: L }],
    ['weights name', { model: { weights: L } }],
    ['trainable as one string with spaces', { phases: [{ trainable: `a b ${L}` }] }],
    ['trainable module name', { phases: [{ trainable: [L] }] }],
    ['trainable sub-module', { phases: [{ trainable: [`layer4.${L}`] }] }],
    ['phase names given twice', { phases: [{ name: `p${L}` }, { name: `p${L}` }] }],
    ['a section given as text', { featureCache: L }],
  ];
  for (const [what, raw] of cases) {
    const t0 = performance.now();
    const msg = messageOf(() => resolveConfig({ raw: { data: { path: '/d' }, ...(raw as object) } }));
    const ms = performance.now() - t0;
    assert.ok(longestRun(msg) <= 100, `${what}: ${longestRun(msg)} characters of the value quoted:\n${msg.slice(0, 500)}`);
    assert.ok(msg.length < 2000, `${what}: a message of ${msg.length} characters:\n${msg.slice(0, 500)}`);
    assert.ok(ms < 20_000, `${what}: ${ms} ms`);
  }
});

test('--set keys and values of megabytes are quoted with at most 100 of their characters', { timeout: 60_000 }, () => {
  const L = 'x'.repeat(2_000_000);
  const sets = [
    `augment=${L}`, // a bad value
    `${L}=1`, // an unknown key
    `model.${L}=1`,
    `phases[0].trainable=[${L}]`,
    L, // no '='
    `${L}[=1`, // not a key path
    `augment=[${L}`, // not YAML
    `phases[0].earlyStopping.patience=${L}`, // under a disabled section (below)
  ];
  for (const s of sets) {
    const set = s.startsWith('phases[0].earlyStopping') ? ['phases[0].earlyStopping=false', s] : [s];
    const msg = messageOf(() => resolveConfig({ overrides: { data: '/d', set } }));
    assert.ok(longestRun(msg) <= 100, `--set ${s.slice(0, 30)}: ${longestRun(msg)} characters quoted:\n${msg.slice(0, 500)}`);
    assert.ok(msg.length < 2000, `--set ${s.slice(0, 30)}: ${msg.length} characters:\n${msg.slice(0, 500)}`);
  }
});

test('a config file path of megabytes is shown shortened', () => {
  const msg = messageOf(() => resolveConfig({ file: `/nonexistent/${'x'.repeat(100_000)}.yaml` }));
  assert.ok(longestRun(msg) <= 100, msg.slice(0, 500));
  assert.match(msg, /cannot read the file: ENAMETOOLONG/);
});

test('JSON: a key given twice in one object is refused, naming the key, its path and both lines', () => {
  const top = write('dup.json', '{\n  "batchSize": 4,\n  "seed": 1,\n  "batchSize": 8\n}\n');
  assert.deepEqual(issuesOf(() => resolveConfig({ file: top, overrides: { data: '/d' } })),
    ['config.batchSize: "batchSize" is given twice (lines 2 and 4); JSON readers keep only the last, so remove one']);
  const nested = write('nested.json', '{"phases": [{"lr": 0.001},\n {"lr": 1e-5,\n  "lr": 1e-4}]}');
  assert.deepEqual(issuesOf(() => resolveConfig({ file: nested, overrides: { data: '/d' } })),
    ['config.phases[1].lr: "lr" is given twice (lines 2 and 3); JSON readers keep only the last, so remove one']);
  // The same key spelled with an escape is the same key.
  const escaped = write('escaped.json', '{"seed": 1, "se\\u0065d": 2}');
  assert.match(issuesOf(() => resolveConfig({ file: escaped, overrides: { data: '/d' } }))[0]!, /^config\.seed: "seed" is given twice \(line 1\)/);
  // A long key is quoted short.
  const long = write('long.json', `{"${'k'.repeat(5000)}": 1, "${'k'.repeat(5000)}": 2}`);
  assert.ok(longestRun(issuesOf(() => resolveConfig({ file: long, overrides: { data: '/d' } }))[0]!, 'k') <= 100);
});

test('JSON: the same key in different objects, and keys inside strings, are not duplicates', () => {
  const ok = write('ok.json', JSON.stringify({
    data: { path: '/d', positive: 'a"b}{,"c' },
    phases: [{ lr: 1e-3, name: 'x\\"' }, { lr: 1e-5, name: '{"lr": 1, "lr": 2}' }],
    model: { arch: 'resnet18' },
    input: { mean: [0.1, 0.2, 0.3] },
  }, null, 2));
  const c = resolveConfig({ file: ok, overrides: { set: ['phases[0].name=a', 'phases[1].name=b'] } });
  assert.equal(c.data.positive, 'a"b}{,"c');
  assert.equal(c.phases[1].lr, 1e-5);
});

test('YAML still refuses a key given twice', () => {
  const file = write('dup.yaml', 'seed: 1\nseed: 2\n');
  assert.match(issuesOf(() => resolveConfig({ file, overrides: { data: '/d' } }))[0]!, /not valid YAML: Map keys must be unique at line 2/);
});

test('resume: a RUN/config.json with a key given twice is refused, naming the key', () => {
  const run = path.join(dir, 'run');
  fs.mkdirSync(run, { recursive: true });
  const config = resolveConfig({ overrides: { data: '/d' } });
  const text = JSON.stringify(config, null, 2).replace('"seed": 0,', '"seed": 0,\n  "seed": 1,');
  assert.notEqual(text, JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(run, 'config.json'), text);
  assert.throws(() => checkResumeConfig(runPaths(run), config), /config\.json is not a valid run configuration.*config\.seed: "seed" is given twice/s);
});

test('a config file in UTF-16 is read as its text; one in another encoding is refused as not UTF-8, naming the byte', () => {
  const yaml = 'seed: 5\ndata:\n  positive: "café"\n';
  const utf8 = resolveConfig({ file: write('u8.yaml', yaml), overrides: { data: '/d' } });
  const le = resolveConfig({ file: write('u16le.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml, 'utf16le')])), overrides: { data: '/d' } });
  const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(yaml, 'utf16le').swap16()]);
  assert.deepEqual(le, utf8);
  assert.deepEqual(resolveConfig({ file: write('u16be.yaml', be), overrides: { data: '/d' } }), utf8);
  const latin1 = write('latin1.yaml', Buffer.from(yaml, 'latin1'));
  assert.deepEqual(issuesOf(() => resolveConfig({ file: latin1, overrides: { data: '/d' } })),
    ['config: the file is not UTF-8 text (byte 31, line 3); save it as UTF-8 (it may be Latin-1 or Windows-1252)']);
});
