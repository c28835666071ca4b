// Text files tlearn reads (CSV data sources): UTF-8 with or without a byte-order mark; UTF-16 (either byte
// order) with its byte-order mark, decoded; anything else refused with the byte where it stops being UTF-8,
// rather than paths garbled into "not found".
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadSource } from '../src/data/index.js';
import { decodeText } from '../src/data/text.js';
import { tempDir, touch } from './data-fixtures.js';

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);

test('decodeText: UTF-8 (a BOM dropped), UTF-16 LE and BE by their BOM', () => {
  const s = 'path,label\nchats/café.png,chat\n日本/犬.png,犬\n😀.png,x\n';
  assert.equal(decodeText(Buffer.from(s), 'f.csv'), s);
  assert.equal(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]), 'f.csv'), s);
  assert.equal(decodeText(utf16le(s), 'f.csv'), s);
  assert.equal(decodeText(utf16be(s), 'f.csv'), s);
  assert.equal(decodeText(Buffer.alloc(0), 'f.csv'), '');
});

test('decodeText: bytes that are not UTF-8 are refused with the byte and line where they are', () => {
  // Latin-1 / Windows-1252 'é' (0xE9) on line 2.
  assert.throws(() => decodeText(Buffer.from('path,label\ncaf\xe9.png,a\n', 'latin1'), 'f.csv'),
    { message: 'f.csv is not UTF-8 text (byte 15, line 2); save it as UTF-8 (it may be Latin-1 or Windows-1252)' });
  // A truncated sequence at the very end, an overlong encoding, a surrogate encoded in UTF-8.
  assert.throws(() => decodeText(Buffer.from([0x61, 0xe6, 0x97]), 'f.csv'), /not UTF-8 text \(byte 2, line 1\)/);
  assert.throws(() => decodeText(Buffer.from([0x61, 0x0a, 0x0a, 0xc0, 0xaf]), 'f.csv'), /not UTF-8 text \(byte 4, line 3\)/);
  assert.throws(() => decodeText(Buffer.from([0xed, 0xa0, 0x80]), 'f.csv'), /not UTF-8 text \(byte 1, line 1\)/);
});

test('decodeText: UTF-16 without a BOM, truncated UTF-16 and NUL bytes are refused', () => {
  assert.throws(() => decodeText(Buffer.from('path,label\n', 'utf16le'), 'f.csv'),
    { message: 'f.csv holds NUL bytes (line 1): it may be UTF-16 without a byte-order mark, or not text; save it as UTF-8' });
  assert.throws(() => decodeText(Buffer.concat([utf16le('ab'), Buffer.from([0x63])]), 'f.csv'), /f\.csv is UTF-16 with an odd number of bytes/);
  // An unpaired surrogate is not text.
  assert.throws(() => decodeText(Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x61, 0x00]), 'f.csv'), /f\.csv is not valid UTF-16 text \(byte 3/);
});

/** The same CSV data source in several encodings: images, the CSV's text, and the expected items. */
function csvFolder(): { root: string; text: string } {
  const root = tempDir();
  const rows = [['chats/café.png', 'chat', 'train'], ['chats/b.png', 'chat', 'val'], ['chiens/日本.png', 'chien', 'train'], ['chiens/d.png', 'chien', 'val']];
  for (const [rel] of rows) touch(path.join(root, rel!));
  return { root, text: `path,label,split\r\n${rows.map((r) => r.join(',')).join('\r\n')}\r\n` };
}

test('a CSV data source in UTF-16 (LE or BE, with its BOM) reads as the same CSV in UTF-8', async () => {
  const { root, text } = csvFolder();
  const csv = (name: string, bytes: Buffer) => touch(path.join(root, name), bytes);
  const items = async (file: string) => (await loadSource(file)).items.map((it) => [it.relPath, it.className, it.split]);
  const expected = await items(csv('utf8.csv', Buffer.from(text)));
  assert.equal(expected.length, 4);
  assert.deepEqual(await items(csv('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))), expected);
  assert.deepEqual(await items(csv('le.csv', utf16le(text))), expected);
  assert.deepEqual(await items(csv('be.csv', utf16be(text))), expected);
});

test('a CSV data source in Latin-1, or UTF-16 without a BOM, is refused naming the file and the byte', async () => {
  const { root, text } = csvFolder();
  const latin1 = touch(path.join(root, 'latin1.csv'), Buffer.from(text, 'latin1'));
  await assert.rejects(loadSource(latin1), { message: `${latin1} is not UTF-8 text (byte 28, line 2); save it as UTF-8 (it may be Latin-1 or Windows-1252)` });
  const nobom = touch(path.join(root, 'nobom.csv'), Buffer.from(text, 'utf16le'));
  await assert.rejects(loadSource(nobom), /nobom\.csv holds NUL bytes \(line 1\): it may be UTF-16 without a byte-order mark/);
});
