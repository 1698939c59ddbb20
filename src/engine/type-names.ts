/**
 * DuckDB type names shown to users in the Aqueducts data-type grammar (docs/pipeline-format.md, "Fields and data types"),
 * so `print_schema` speaks the language users write schemas in. Unknown types keep DuckDB's name.
 */
const SIMPLE: Record<string, string> = {
  BOOLEAN: 'bool', TINYINT: 'int8', SMALLINT: 'int16', INTEGER: 'int32', BIGINT: 'int64',
  UTINYINT: 'uint8', USMALLINT: 'uint16', UINTEGER: 'uint32', UBIGINT: 'uint64',
  FLOAT: 'float32', DOUBLE: 'float64', VARCHAR: 'string', BLOB: 'binary', DATE: 'date32',
  TIME: 'time64<microsecond>', TIME_NS: 'time64<nanosecond>', INTERVAL: 'interval<month_day_nano>',
  TIMESTAMP: 'timestamp<microsecond>', TIMESTAMP_S: 'timestamp<second>', TIMESTAMP_MS: 'timestamp<millisecond>',
  TIMESTAMP_NS: 'timestamp<nanosecond>', 'TIMESTAMP WITH TIME ZONE': 'timestamp<microsecond,UTC>',
  HUGEINT: 'decimal<38,0>', UUID: 'string', JSON: 'string',
};

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '(' || ch === '[')) depth++;
    if (!quoted && (ch === ')' || ch === ']')) depth--;
    if (!quoted && depth === 0 && ch === ',') { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function duckDbTypeToDataType(t: string): string {
  const type = t.trim();
  if (SIMPLE[type]) return SIMPLE[type];
  let m = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (m) return `decimal<${m[1]},${m[2]}>`;
  m = /^(.*)\[(\d*)\]$/.exec(type);
  if (m) return m[2] ? `fixed_list<${duckDbTypeToDataType(m[1]!)},${m[2]}>` : `list<${duckDbTypeToDataType(m[1]!)}>`;
  m = /^STRUCT\((.*)\)$/.exec(type);
  if (m) {
    const members = splitTop(m[1]!).map((f) => {
      const fm = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/.exec(f);
      if (!fm) return f;
      const name = fm[1]!.startsWith('"') ? fm[1]!.slice(1, -1).replace(/""/g, '"') : fm[1]!;
      return `${name}:${duckDbTypeToDataType(fm[2]!)}`;
    });
    return `struct<${members.join(',')}>`;
  }
  m = /^MAP\((.*)\)$/.exec(type);
  if (m) {
    const [k, v] = splitTop(m[1]!);
    return `map<${duckDbTypeToDataType(k ?? '')},${duckDbTypeToDataType(v ?? '')}>`;
  }
  return type;
}
