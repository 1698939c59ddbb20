/** SQL text helpers for the Delta library (identifiers, literals, file lists). */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A path DuckDB's readers take literally: they expand `*`, `?` and `[...]` even in an explicit list
 * of files, so those characters are turned into one-character classes (`[*]`, `[?]`, `[[]`).
 */
export function literalPath(p: string): string {
  return p.replace(/[[*?]/g, (c) => `[${c}]`);
}

/** `['a', 'b']`: an explicit list of files, each taken literally (never a glob). */
export function fileList(paths: string[]): string {
  return `[${paths.map((p) => quoteLiteral(literalPath(p))).join(', ')}]`;
}
