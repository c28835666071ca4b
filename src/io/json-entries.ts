// Splits a JSON object into its top-level (key, raw value text) entries in document order.
// JSON.parse cannot be used alone for safetensors headers: it silently keeps the last of duplicate keys
// (the spec forbids duplicates) and reorders integer-like keys ("0", "1") ahead of the others.

/** Returns the entries of the JSON object in `text`; throws with a description if it is not one. */
export function jsonObjectEntries(text: string): Array<[string, string]> {
  let i = 0;
  const n = text.length;
  const ws = () => { while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const fail = (what: string): never => { throw new Error(`invalid JSON at offset ${i}: ${what}`); };

  // Skips a string starting at i (which is '"'); returns the index after the closing quote.
  const skipString = (): void => {
    i++;
    while (i < n) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') { i++; return; }
      else i++;
    }
    fail('unterminated string');
  };
  // Skips one value of any kind, checking bracket balance only; JSON.parse validates the text later.
  const skipValue = (): void => {
    ws();
    if (i >= n) fail('missing value');
    const stack: string[] = [];
    do {
      const c = text[i];
      if (c === '"') { skipString(); }
      else if (c === '{' || c === '[') { stack.push(c === '{' ? '}' : ']'); i++; }
      else if (c === '}' || c === ']') {
        if (stack.pop() !== c) fail(`unexpected '${c}'`);
        i++;
      } else if (stack.length === 0) {
        // A scalar at the top: runs until a delimiter of the enclosing object.
        while (i < n && text[i] !== ',' && text[i] !== '}' && text[i] !== ' ' && text[i] !== '\n' && text[i] !== '\r' && text[i] !== '\t') i++;
        return;
      } else i++;
    } while (stack.length > 0 && i < n);
    if (stack.length > 0) fail('unterminated object or array');
  };

  ws();
  if (text[i] !== '{') fail("expected '{'");
  i++;
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  ws();
  if (text[i] === '}') { i++; }
  else {
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a string key');
      const k0 = i;
      skipString();
      let key: string;
      try { key = JSON.parse(text.slice(k0, i)) as string; } catch { return fail('bad string key'); }
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      ws();
      const v0 = i;
      skipValue();
      if (seen.has(key)) throw new Error(`duplicate key ${JSON.stringify(key)}`);
      seen.add(key);
      entries.push([key, text.slice(v0, i)]);
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; break; }
      fail("expected ',' or '}'");
    }
  }
  ws();
  if (i !== n) fail('trailing characters after the object');
  return entries;
}
