// typedArray() of a record whose bytes sit at an unaligned offset (e.g. inside a file Buffer) copies them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { typedArray } from '../src/io/index.js';

test('typedArray copies unaligned bytes, also when they are a Buffer view', () => {
  const file = Buffer.alloc(1 + 16);
  new DataView(file.buffer, file.byteOffset).setBigInt64(1, 7n, true);
  new DataView(file.buffer, file.byteOffset).setBigInt64(9, -3n, true);
  const data = file.subarray(1, 17); // a Buffer view at an odd offset, as a file reader returns
  const values = typedArray({ dtype: 'int64', shape: [2], data });
  assert.deepEqual(Array.from(values), [7n, -3n]);
});
