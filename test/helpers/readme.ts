// The README's code, as the tests run it: the python blocks of one section.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The python blocks of the README section that starts with `heading`, in order. */
export function pythonBlocks(heading: string): string[] {
  // From test/helpers/ when run from source, from dist/test/helpers/ when compiled.
  const file = ['../../README.md', '../../../README.md'].map((r) => fileURLToPath(new URL(r, import.meta.url))).find((f) => fs.existsSync(f))!;
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, `README has ${heading}`);
  const section = readme.slice(start, readme.indexOf('\n## ', start + heading.length));
  return [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
