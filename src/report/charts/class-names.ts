// Class names as chart axes and legends show them: at most NAME_MAX characters (a longer name ends in an
// ellipsis; the full one is in the tooltip and the per-class table) and distinct, since Vega-Lite merges
// equal category strings into one row.
export const NAME_MAX = 24;

export function shortNames(classes: string[], max = NAME_MAX): string[] {
  const seen = new Map<string, number>();
  return classes.map((raw) => {
    const full = String(raw) === '' ? '(empty)' : String(raw);
    const chars = [...full]; // code points: an emoji is not cut in half
    const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : full;
    const k = (seen.get(cut) ?? 0) + 1;
    seen.set(cut, k);
    return k === 1 ? cut : `${cut} (${k})`;
  });
}
