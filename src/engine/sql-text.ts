/** Quoting for SQL text the engine builds itself. */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A DuckDB list literal of strings: ['a', 'b']. */
export function stringList(values: string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

/** A DuckDB struct literal {'k': 'v'} from string pairs. */
export function stringStruct(entries: Array<[string, string]>): string {
  return `{${entries.map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`).join(', ')}}`;
}
