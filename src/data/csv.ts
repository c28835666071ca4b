// Minimal RFC 4180 CSV: quoted fields (with "" escapes and embedded commas/newlines), CRLF or LF,
// a UTF-8 BOM tolerated. Rows carry their starting line number for error messages.

export interface CsvRow { line: number; fields: string[] }

export function parseCsv(text: string, what = 'CSV'): CsvRow[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let line = 1, rowLine = 1;
  let fieldStarted = false; // distinguishes an empty last field from no field on a blank line
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field.length > 0) throw new Error(`${what} line ${line}: quote in the middle of an unquoted field`);
      inQuotes = true; fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field); field = ''; fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (fieldStarted || field.length > 0) { fields.push(field); rows.push({ line: rowLine, fields }); }
      fields = []; field = ''; fieldStarted = false;
      line++; rowLine = line;
    } else {
      field += ch; fieldStarted = true;
    }
  }
  if (inQuotes) throw new Error(`${what} line ${rowLine}: unterminated quoted field`);
  if (fieldStarted || field.length > 0) { fields.push(field); rows.push({ line: rowLine, fields }); }
  return rows;
}

/** Quotes a field when it holds a comma, quote, newline or surrounding spaces. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(header: string[], rows: Array<Array<string | number>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
