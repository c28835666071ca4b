// JSON.parse keeps the last of two equal keys in an object without a word, so `"lr": 1e-3, ... "lr": 1e-5` in a
// config file silently trains with 1e-5; YAML refuses such a file. This finds the first key given twice.

type Segment = string | number;

/** A key given twice: where (the path of segments to it), and the 1-based lines of both. */
export interface DuplicateKey { path: Segment[]; key: string; firstLine: number; line: number }

interface ObjectFrame { kind: 'object'; at: Segment[]; keys: Map<string, number>; key?: string; expectKey: boolean }
interface ArrayFrame { kind: 'array'; at: Segment[]; index: number }

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON (JSON.parse accepted it):
 * the scan then only has to follow strings, brackets, commas and colons. Keys are compared as JSON.parse reads
 * them, so "seed" and "se\u0065d" are the same key.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const stack: Array<ObjectFrame | ArrayFrame> = [];
  let line = 1;
  // The segment a value about to start has within its parent.
  const here = (): Segment[] => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    return [...top.at, top.kind === 'object' ? top.key ?? '' : top.index];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x0a) line++;
    else if (ch === 0x22) {
      // A string: valid JSON has no raw newline inside one, and a backslash escapes the next character.
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const first = top.keys.get(key);
        if (first !== undefined) return { path: [...top.at, key], key, firstLine: first, line };
        top.keys.set(key, line);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b) stack.push({ kind: 'object', at: here(), keys: new Map(), expectKey: true });
    else if (ch === 0x5b) stack.push({ kind: 'array', at: here(), index: 0 });
    else if (ch === 0x7d || ch === 0x5d) stack.pop();
    else if (ch === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}
