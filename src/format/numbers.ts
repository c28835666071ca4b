// Numbers as tlearn's messages, console and reports print them (src/format: the bottom module, imports nothing).

/**
 * A weight or threshold to 4 significant digits, without trailing zeros (1/19 -> 0.05263, 3 -> 3). The audit, the
 * trainer's console and the report all print pos_weight with it, so one value reads the same everywhere.
 */
export function fmtSignificant(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);
}
