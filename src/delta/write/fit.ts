/**
 * Fitting the rows to write (a relation of the run's DuckDB session) to a table's schema: the
 * SELECT that yields exactly the table's columns, in its order, with its types.
 *
 * - Columns are matched by name, ignoring case (Delta column names are case-insensitive).
 * - A column the table lacks is an error (no schema evolution); a table column the rows lack is
 *   filled with NULLs when nullable, and an error otherwise.
 * - Types must fit: the same Delta type; integers into wider integers or decimals, integers and
 *   decimals into decimals that hold them, any number into float/double (casts that check ranges:
 *   a value that does not fit fails the write); timestamp ↔ timestamp_ntz (UTC). Anything else
 *   (strings into numbers, doubles into integers, a decimal losing scale, nested types of another
 *   shape) is an error naming the column.
 * - Non-nullable columns are checked after the data files are written, from their statistics.
 */
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '../../engine/duckdb-type-id.js';
import { ExecutorError } from '../../core/errors.js';
import { deltaError } from '../errors.js';
import { deltaTypeOfDuck, duckType, SchemaError, typeText, type DeltaType, type StructType } from '../schema.js';
import { quoteIdent } from '../sql.js';

export interface IncomingColumn {
  name: string;
  duck: DuckDBType;
}

export async function incomingColumns(conn: DuckDBConnection, relation: string): Promise<IncomingColumn[]> {
  const r = await conn.runAndReadAll(`SELECT * FROM ${quoteIdent(relation)} LIMIT 0`);
  const types = r.columnTypes();
  return r.columnNames().map((name, i) => ({ name, duck: types[i]! }));
}

/** The schema of a new table created from the rows themselves (every column nullable). */
export function schemaOfIncoming(table: string, cols: IncomingColumn[]): StructType {
  return {
    kind: 'struct',
    fields: cols.map((c) => {
      try {
        return { name: c.name, type: deltaTypeOfDuck(c.duck, c.name), nullable: true, metadata: {} };
      } catch (e) {
        if (e instanceof SchemaError) throw deltaError('AQ_DELTA_SCHEMA_MISMATCH', table, null, `column ${e.message}`);
        throw e;
      }
    }),
  };
}

const INTEGER_WIDTH: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 19 };

/** Digits before the decimal point an integer-like or decimal type can need. */
function integerDigits(t: DeltaType): number | null {
  if (t.kind === 'decimal') return t.precision - t.scale;
  if (t.kind === 'primitive' && t.name in INTEGER_WIDTH) return INTEGER_WIDTH[t.name]!;
  return null;
}

/** Whether a value of type `from` can be written into a column of type `to` (see the header). */
export function fits(from: DeltaType, to: DeltaType): boolean {
  if (typeText(from) === typeText(to)) return true;
  const fromDigits = integerDigits(from);
  const fromScale = from.kind === 'decimal' ? from.scale : 0;
  if (to.kind === 'primitive' && (to.name === 'float' || to.name === 'double')) {
    return fromDigits !== null || (from.kind === 'primitive' && (from.name === 'float' || from.name === 'double'));
  }
  if (to.kind === 'primitive' && to.name in INTEGER_WIDTH) return fromDigits !== null && fromScale === 0;
  if (to.kind === 'decimal') return fromDigits !== null && fromScale <= to.scale;
  if (to.kind === 'primitive' && from.kind === 'primitive') {
    const ts = new Set(['timestamp', 'timestamp_ntz']);
    return ts.has(to.name) && ts.has(from.name);
  }
  if (to.kind === 'array' && from.kind === 'array') return fits(from.elementType, to.elementType);
  if (to.kind === 'map' && from.kind === 'map') return typeText(from.keyType) === typeText(to.keyType) && fits(from.valueType, to.valueType);
  if (to.kind === 'struct' && from.kind === 'struct') {
    return from.fields.length === to.fields.length && from.fields.every((f, i) => f.name.toLowerCase() === to.fields[i]!.name.toLowerCase() && fits(f.type, to.fields[i]!.type));
  }
  return false;
}

/**
 * The SELECT over `relation` that yields the table's columns. Throws AQ_DELTA_SCHEMA_MISMATCH
 * naming the column for a missing, extra or mistyped column.
 */
export function fittedSelect(table: string, version: number | null, relation: string, cols: IncomingColumn[], schema: StructType): string {
  const byName = new Map(cols.map((c) => [c.name.toLowerCase(), c]));
  const known = new Set(schema.fields.map((f) => f.name.toLowerCase()));
  const extra = cols.filter((c) => !known.has(c.name.toLowerCase()));
  const mismatch = (what: string) => deltaError('AQ_DELTA_SCHEMA_MISMATCH', table, version, what);
  if (extra.length) {
    throw mismatch(`the rows to write have column${extra.length === 1 ? '' : 's'} ${extra.map((c) => `"${c.name}"`).join(', ')} that the table does not have (table columns: ${schema.fields.map((f) => f.name).join(', ')})`);
  }
  const parts = schema.fields.map((f) => {
    const c = byName.get(f.name.toLowerCase());
    const target = duckType(f.type);
    if (!c) {
      if (!f.nullable) throw mismatch(`column "${f.name}" is missing from the rows to write, and the table does not allow nulls in it`);
      return `CAST(NULL AS ${target}) AS ${quoteIdent(f.name)}`;
    }
    if (c.duck.typeId !== DuckDBTypeId.SQLNULL) {
      let from: DeltaType;
      try {
        from = deltaTypeOfDuck(c.duck, c.name);
      } catch (e) {
        if (e instanceof SchemaError) throw mismatch(`column ${e.message}`);
        throw e;
      }
      if (!fits(from, f.type)) {
        throw mismatch(`column "${f.name}" is ${c.duck.toString()} (${typeText(from)}) in the rows to write, but ${typeText(f.type)} in the table; cast it in the stage`);
      }
    }
    return `CAST(${quoteIdent(c.name)} AS ${target}) AS ${quoteIdent(f.name)}`;
  });
  return `SELECT ${parts.join(', ')} FROM ${quoteIdent(relation)}`;
}

/** Turns a DuckDB conversion error raised while writing into a schema mismatch. */
export function conversionError(table: string, version: number | null, e: unknown): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (!(e instanceof ExecutorError) && /Conversion Error|Out of Range/i.test(msg)) {
    return deltaError('AQ_DELTA_SCHEMA_MISMATCH', table, version, `a value does not fit the table's column type: ${msg.split('\n')[0]}`, e);
  }
  return e;
}
