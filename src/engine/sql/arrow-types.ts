/**
 * Arrow data type names as DataFusion's arrow_cast takes them ('Int64', 'Utf8',
 * 'Timestamp(Nanosecond, None)', 'Decimal128(10, 2)', 'List(Int64)', ...) → DuckDB type SQL.
 */

const SIMPLE: Readonly<Record<string, string>> = {
  Boolean: 'BOOLEAN',
  Int8: 'TINYINT', Int16: 'SMALLINT', Int32: 'INTEGER', Int64: 'BIGINT',
  UInt8: 'UTINYINT', UInt16: 'USMALLINT', UInt32: 'UINTEGER', UInt64: 'UBIGINT',
  Float16: 'FLOAT', Float32: 'FLOAT', Float64: 'DOUBLE',
  Utf8: 'VARCHAR', LargeUtf8: 'VARCHAR', Utf8View: 'VARCHAR',
  Binary: 'BLOB', LargeBinary: 'BLOB', BinaryView: 'BLOB',
  Date32: 'DATE', Date64: 'DATE',
};

const TIMESTAMP_UNITS: Readonly<Record<string, string>> = {
  Second: 'TIMESTAMP_S', Millisecond: 'TIMESTAMP_MS', Microsecond: 'TIMESTAMP', Nanosecond: 'TIMESTAMP_NS',
};

/** Parsed type expression: a name with optional parenthesised arguments. */
interface Node { name: string; args: Node[] }

function parse(s: string): Node | undefined {
  let i = 0;
  const skip = () => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  const node = (): Node | undefined => {
    skip();
    let name: string;
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) return undefined;
      name = s.slice(i, end + 1);
      i = end + 1;
    } else {
      const m = /^[A-Za-z0-9_+\-:.]+/.exec(s.slice(i));
      if (!m) return undefined;
      name = m[0];
      i += name.length;
    }
    skip();
    const args: Node[] = [];
    if (s[i] === '(') {
      i++;
      for (;;) {
        const a = node();
        if (!a) return undefined;
        args.push(a);
        skip();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === ')') { i++; break; }
        return undefined;
      }
    }
    return { name, args };
  };
  const root = node();
  skip();
  return root && i === s.length ? root : undefined;
}

function toDuck(n: Node): string | undefined {
  const [a, b] = n.args;
  if (n.args.length === 0 && SIMPLE[n.name]) return SIMPLE[n.name];
  switch (n.name) {
    case 'Timestamp': {
      const unit = a && TIMESTAMP_UNITS[a.name];
      if (!unit || !b) return undefined;
      if (b.name === 'None') return unit;
      return b.name === 'Some' ? 'TIMESTAMPTZ' : undefined;
    }
    case 'Time32': case 'Time64':
      return a && TIMESTAMP_UNITS[a.name] ? (a.name === 'Nanosecond' ? 'TIME_NS' : 'TIME') : undefined;
    case 'Duration': case 'Interval':
      return 'INTERVAL';
    case 'Decimal32': case 'Decimal64': case 'Decimal128': case 'Decimal256': {
      const p = Number(a?.name);
      const sc = Number(b?.name);
      return Number.isInteger(p) && Number.isInteger(sc) && p >= 1 && p <= 38 && sc >= 0 && sc <= p ? `DECIMAL(${p}, ${sc})` : undefined;
    }
    case 'FixedSizeBinary':
      return 'BLOB';
    case 'List': case 'LargeList': case 'ListView': case 'LargeListView': {
      const inner = a && n.args.length === 1 ? toDuck(a) : undefined;
      return inner && `${inner}[]`;
    }
    case 'FixedSizeList': {
      const size = Number(a?.name);
      const inner = b && toDuck(b);
      return inner && Number.isInteger(size) && size > 0 ? `${inner}[${size}]` : undefined;
    }
    case 'Dictionary':
      return b && toDuck(b);
    default:
      return undefined;
  }
}

/** The DuckDB type for an Arrow type name, or undefined for names this mapping does not know. */
export function arrowTypeToDuckDB(arrowType: string): string | undefined {
  const n = parse(arrowType.trim());
  return n && toDuck(n);
}
