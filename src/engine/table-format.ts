/**
 * Bordered text tables as the original prints them (arrow's pretty format): every cell
 * left-aligned with one space of padding, `+---+` rules above and below the header and at the end.
 * Multi-line cells take several lines.
 */

import { clientText } from '../core/client-value.js';

export type Cell = string | null;

/** Characters of one cell shown in a stage output; a longer cell is cut, followed by its length. */
export const CELL_MAX_CHARS = 10_000;
/** Characters of one stage output's body; a longer table stops at a line boundary, and says so. */
export const OUTPUT_MAX_CHARS = 4_000_000;
/** Elements of a list rendered to show it: enough to fill a cell (an element takes at least 3 characters). */
export const LIST_SHOWN_ELEMENTS = Math.ceil(CELL_MAX_CHARS / 3) + 1;

/** A cell already read, cut to `max` characters: `aaaa… (12582912 characters)`. */
export function boundCell(text: string, max = CELL_MAX_CHARS): string {
  return clientText(text, max);
}

/** The line that ends a body cut at `max` characters. */
export function cutNote(max = OUTPUT_MAX_CHARS): string {
  return `… (cut here: a stage output is limited to ${max.toLocaleString('en-US')} characters)`;
}

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

/**
 * The bordered table. With `maxChars`, lines stop once the text has reached that many characters
 * and a last line says it was cut (a table of many wide or multi-line cells can be far longer than
 * its cells: every line is padded to the widest cell of each column).
 */
export function formatTable(columns: string[], rows: Cell[][], opts: { maxChars?: number } = {}): string {
  if (columns.length === 0) return '++\n++';
  const max = opts.maxChars ?? Infinity;
  const split = (c: Cell) => (c ?? '').split('\n');
  const widest = (lines: string[]): number => lines.reduce((m, l) => Math.max(m, width(l)), 0);
  const widths = columns.map((c) => widest(split(c)));
  const cells = rows.map((r) => columns.map((_, i) => split(r[i] ?? null)));
  for (const r of cells) r.forEach((lines, i) => { widths[i] = Math.max(widths[i]!, widest(lines)); });
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const out: string[] = [];
  let size = 0;
  let cut = false;
  const push = (text: string): boolean => {
    if (size >= max) {
      cut = true;
      return false;
    }
    out.push(text);
    size += text.length + 1;
    return true;
  };
  const line = (parts: string[][]): boolean => {
    const height = parts.reduce((m, p) => Math.max(m, p.length), 0);
    for (let k = 0; k < height; k++) {
      if (!push(`|${parts.map((p, i) => ` ${pad(p[k] ?? '', widths[i]!)} `).join('|')}|`)) return false;
    }
    return true;
  };
  if (push(rule) && line(columns.map(split)) && push(rule)) {
    for (const r of cells) if (!line(r)) break;
    push(rule);
  }
  if (cut) out.push(cutNote(max));
  return out.join('\n');
}

/**
 * A query reading up to `limit` rows of `table` as display text, each cell cut inside the engine
 * to CELL_MAX_CHARS characters (and followed by its length), so that no cell larger than that ever
 * reaches JavaScript; a list longer than LIST_SHOWN_ELEMENTS is rendered from its first elements
 * only (followed by its number of elements). Columns are `c0`, `c1`, ... (`table` and the names
 * are quoted identifiers).
 */
export function boundedCellsQuery(table: string, columns: ReadonlyArray<{ ident: string; type: string }>, limit: number): string {
  const raw = columns.map((c, i) => `${c.ident} AS r${i}`).join(', ');
  const text = columns.map((c, i) => (isListType(c.type)
    // list_transform copies the first elements: a cast of the bare slice would render every element of the list
    ? `CASE WHEN len(r${i}) > ${LIST_SHOWN_ELEMENTS} THEN CAST(list_transform(r${i}[1:${LIST_SHOWN_ELEMENTS}], lambda e: e) AS VARCHAR) ELSE CAST(r${i} AS VARCHAR) END AS t${i}, len(r${i}) AS n${i}`
    : `${arrowTextExpression(`r${i}`, c.type)} AS t${i}`)).join(', ');
  const cells = columns.map((c, i) => {
    const byChars = `WHEN length(t${i}) > ${CELL_MAX_CHARS} THEN left(t${i}, ${CELL_MAX_CHARS}) || '… (' || length(t${i}) || ' characters)'`;
    const byElements = isListType(c.type) ? `WHEN n${i} > ${LIST_SHOWN_ELEMENTS} THEN left(t${i}, ${CELL_MAX_CHARS}) || '… (' || n${i} || ' elements)' ` : '';
    return `CASE ${byElements}${byChars} ELSE t${i} END AS c${i}`;
  }).join(', ');
  return `SELECT ${cells} FROM (SELECT ${text} FROM (SELECT ${raw} FROM ${table} LIMIT ${limit}))`;
}

/** A DuckDB type name of a list (`INTEGER[]`, `STRUCT(a INTEGER)[]`), not of a fixed-size array. */
export function isListType(type: string): boolean {
  return type.endsWith('[]');
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
