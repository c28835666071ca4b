import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unpickle } from '../src/io/pickle.js';
import { Pickler } from '../src/io/pickler.js';
import { isTuple, PyDict } from '../src/io/pickle-types.js';
import { toPlain } from '../src/io/pth-read.js';
import { runPython } from './helpers/python.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// Plain data pickled by CPython at protocols 2 to 5: every opcode family the VM implements.
const pickles = runPython<Record<string, string>>(`
import pickle, collections
shared = [7]
data = {
  'ints': [0, 1, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**31, 2**53, -2**70, 2**100],
  'floats': [1.5, -0.0, 1e300],
  'consts': [None, True, False],
  'text': ['', 'é✓', 'x' * 300],
  'bytes': b'\\x00\\xff' * 3,
  'tuples': ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
  'shared': [shared, shared],
  'od': collections.OrderedDict([('b', 1), ('a', 2)]),
  3: 'int key',
  'set': {1, 2},
  'bytearray': bytearray(b'xy'),
}
out({str(p): pickle.dumps(data, protocol=p).hex() for p in [2, 3, 4, 5]})
`);

for (const proto of ['2', '3', '4', '5']) {
  test(`unpickle: CPython protocol ${proto} data`, () => {
    const { value } = unpickle(hex(pickles[proto]), { source: `p${proto}` });
    assert.ok(value instanceof PyDict);
    const d = value as PyDict;
    assert.deepEqual(d.get('ints'), [0, 1, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2n ** 53n, -(2n ** 70n), 2n ** 100n]);
    assert.deepEqual(d.get('floats'), [1.5, -0, 1e300]);
    assert.ok(Object.is((d.get('floats') as number[])[1], -0));
    assert.deepEqual(d.get('consts'), [null, true, false]);
    assert.deepEqual(d.get('text'), ['', 'é✓', 'x'.repeat(300)]);
    assert.deepEqual(Buffer.from(d.get('bytes') as Uint8Array).toString('hex'), '00ff00ff00ff');
    const tuples = d.get('tuples') as unknown[];
    assert.ok(isTuple(tuples) && tuples.every(isTuple));
    assert.deepEqual(tuples, [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
    const shared = d.get('shared') as unknown[][];
    assert.equal(shared[0], shared[1], 'memo keeps shared references');
    const od = d.get('od') as PyDict;
    assert.equal(od.kind, 'OrderedDict');
    assert.deepEqual([...od.entries()], [['b', 1], ['a', 2]]);
    assert.equal(d.get(3), 'int key');
    assert.deepEqual([...(d.get('set') as Set<number>)].sort(), [1, 2]);
    assert.deepEqual(Buffer.from(d.get('bytearray') as Uint8Array).toString(), 'xy');
    assert.equal((toPlain(d) as any).od.b, 1);
  });
}

test('unpickle: refuses dangerous globals and opcodes by name', () => {
  const evil = runPython<Record<string, string>>(`
import pickle, os, subprocess, builtins
class R:
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)
out({
  'system': pickle.dumps(R(os.system, ('true',)), protocol=2).hex(),
  'popen': pickle.dumps(R(subprocess.Popen, (['true'],)), protocol=4).hex(),
  'eval': pickle.dumps(R(builtins.eval, ('1',)), protocol=2).hex(),
  'getattr': pickle.dumps(R(builtins.getattr, (1, 'real')), protocol=2).hex(),
})
`);
  assert.throws(() => unpickle(hex(evil.system), { source: 's.pkl' }), /s\.pkl: .*refusing global 'posix\.system'/);
  assert.throws(() => unpickle(hex(evil.popen)), /refusing global 'subprocess\.Popen'/);
  assert.throws(() => unpickle(hex(evil.eval)), /refusing global 'builtins\.eval'/);
  assert.throws(() => unpickle(hex(evil.getattr)), /refusing global 'builtins\.getattr'/);
  // Hand-made streams: INST, OBJ, PERSID, EXT, BUILD on a list, NEWOBJ of an allowed non-Parameter class.
  const cases: Array<[string, RegExp]> = [
    ['8002' + '69' + Buffer.from('os\nsystem\n').toString('hex') + '2e', /object instantiation/],
    ['8002286f2e', /object instantiation/],
    ['8002' + '50' + Buffer.from('x\n').toString('hex') + '2e', /PERSID/],
    ['8002820103', /extension registry/],
    ['80025d7d622e', /BUILD on a list is not allowed/],
    ['8002' + '63' + Buffer.from('collections\nOrderedDict\n').toString('hex') + '29812e', /only torch\.nn\.Parameter/],
    ['8002' + '63' + Buffer.from('torch\nFloatStorage\n').toString('hex') + '29522e', /calling torch\.FloatStorage is not supported/],
    ['8002' + '4b01' + '29' + '522e', /REDUCE on number/],
    ['80024b01' + '4b02' + '4b03' + '732e', /SETITEM target is number/],
    ['8002' + '28' + '58' + '07000000' + Buffer.from('storage').toString('hex') + '74' + '512e', /may not reference storages/],
    ['8002' + '28' + '58' + '04000000' + Buffer.from('evil').toString('hex') + '74' + '512e', /only persistent ids of storages/],
  ];
  for (const [h, re] of cases) assert.throws(() => unpickle(hex(h), { source: 'hand.pkl' }), re, h);
});

test('unpickle: truncated and malformed streams give errors naming the byte offset', () => {
  const good = hex(pickles['4']);
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => unpickle(good.subarray(0, cut), { source: 't.pkl' }), /^PickleError: t\.pkl: pickle data rejected at byte \d+/);
  }
  assert.throws(() => unpickle(hex('8002682a2e')), /memo key 42 is not defined/);
  assert.throws(() => unpickle(hex('8002302e')), /stack underflow/);
  assert.throws(() => unpickle(hex('8002742e')), /no MARK/);
  assert.throws(() => unpickle(hex('800228292e')), /unclosed MARK/);
  assert.throws(() => unpickle(hex('8002ff2e')), /unsupported opcode 0xff/);
  assert.throws(() => unpickle(hex('8006')), /unsupported pickle protocol 6/);
  assert.throws(() => unpickle(hex('800258ffffff7f')), /unexpected end of data/);
  assert.throws(() => unpickle(hex('80028dffffffffffffff7f')), /exceeds the remaining data/);
  assert.throws(() => unpickle(hex('80025802000000c3282e')), /not valid UTF-8/);
});

test('Pickler output round-trips through the VM and through Python pickle', () => {
  const p = new Pickler();
  p.mark();
  for (const n of [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER]) p.int(n);
  p.str('storage').str('storage').str('é✓').bool(true).bool(false).none().emptyTuple().intTuple([1, 2, 3]);
  p.orderedDict();
  p.tuple();
  const bytes = p.finish();
  const expected = [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER,
    'storage', 'storage', 'é✓', true, false, null, [], [1, 2, 3]];
  const v = unpickle(bytes).value as unknown[];
  assert.deepEqual(v.slice(0, -1), expected);
  assert.ok(v[v.length - 1] instanceof PyDict);
  const py = runPython<unknown[]>(`
import pickle, pickletools
v = pickle.loads(bytes.fromhex(inp))
ops = {op.name for op, _, _ in pickletools.genops(bytes.fromhex(inp))}
out([[list(x) if isinstance(x, tuple) else x for x in v[:-1]], type(v[-1]).__name__, sorted(ops)])
`, Buffer.from(bytes).toString('hex'));
  assert.deepEqual(py[0], expected);
  assert.equal(py[1], 'OrderedDict');
  // Only opcodes torch 1.13's weights_only unpickler knows.
  const allowed = new Set(['PROTO', 'GLOBAL', 'REDUCE', 'BUILD', 'MARK', 'EMPTY_DICT', 'EMPTY_TUPLE', 'EMPTY_LIST', 'TUPLE',
    'TUPLE1', 'TUPLE2', 'TUPLE3', 'BINUNICODE', 'BININT', 'BININT1', 'BININT2', 'LONG1', 'NEWTRUE', 'NEWFALSE', 'NONE',
    'BINPUT', 'LONG_BINPUT', 'BINGET', 'LONG_BINGET', 'BINPERSID', 'SETITEM', 'SETITEMS', 'APPEND', 'APPENDS', 'STOP']);
  for (const op of py[2] as string[]) assert.ok(allowed.has(op), `opcode ${op} is understood by torch 1.13 weights_only`);
});
