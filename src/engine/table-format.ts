/**
 * Bordered text tables as the original prints them (arrow's pretty format): every cell
 * left-aligned with one space of padding, `+---+` rules above and below the header and at the end.
 * Multi-line cells take several lines.
 */

export type Cell = string | null;

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

export function formatTable(columns: string[], rows: Cell[][]): string {
  if (columns.length === 0) return '++\n++';
  const split = (c: Cell) => (c ?? '').split('\n');
  const widths = columns.map((c) => Math.max(...split(c).map(width)));
  const cells = rows.map((r) => columns.map((_, i) => split(r[i] ?? null)));
  for (const r of cells) r.forEach((lines, i) => { widths[i] = Math.max(widths[i]!, ...lines.map(width)); });
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (parts: string[][]) => {
    const height = Math.max(...parts.map((p) => p.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) out.push(`|${parts.map((p, i) => ` ${pad(p[k] ?? '', widths[i]!)} `).join('|')}|`);
    return out.join('\n');
  };
  const out = [rule, line(columns.map(split)), rule];
  for (const r of cells) out.push(line(r));
  out.push(rule);
  return out.join('\n');
}

const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS', 'TIMESTAMP WITH TIME ZONE']);

/**
 * A SQL expression rendering `expr` (of DuckDB type `type`) as text the way arrow displays and
 * writes it: timestamps as `2024-01-03T10:07:37` with the fraction trimmed to milli/micro
 * seconds as needed (`.123`, `.123456`); everything else as DuckDB's VARCHAR cast.
 */
export function arrowTextExpression(expr: string, type: string): string {
  if (TIMESTAMP_TYPES.has(type)) {
    const ts = type === 'TIMESTAMP WITH TIME ZONE' ? `(${expr})::TIMESTAMP` : `(${expr})::TIMESTAMP`;
    const us = `(microsecond(${ts}) % 1000000)`;
    const frac = `CASE WHEN ${us} = 0 THEN '' WHEN ${us} % 1000 = 0 THEN '.' || lpad((${us} // 1000)::VARCHAR, 3, '0') ELSE '.' || lpad(${us}::VARCHAR, 6, '0') END`;
    const zone = type === 'TIMESTAMP WITH TIME ZONE' ? ` || 'Z'` : '';
    return `(strftime(${ts}, '%Y-%m-%dT%H:%M:%S') || ${frac}${zone})`;
  }
  return `(${expr})::VARCHAR`;
}

export function isTimestampType(type: string): boolean {
  return TIMESTAMP_TYPES.has(type);
}
