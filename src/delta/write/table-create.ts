/**
 * A new table's first `protocol` and `metaData`: the schema from the destination's explicit
 * `schema`, or else from the rows being written; `partition_columns`; `table_properties` as the
 * configuration (refusing those that would turn on what this executor does not implement).
 * Protocol (1,2), or (3,7) with the timestampNtz feature when the schema has timestamp_ntz, as
 * delta-rs does (plus the appendOnly writer feature when `delta.appendOnly` is true).
 */
import { randomUUID } from 'node:crypto';
import type { Field } from '../../pipeline/types.js';
import type { Metadata, Protocol } from '../actions.js';
import { deltaError } from '../errors.js';
import { partitionTypeProblem } from '../partition-values.js';
import { tablePropertyProblems } from '../protocol.js';
import { columnNameProblems, schemaOfFields, schemaString, SchemaError, usesTimestampNtz, type StructType } from '../schema.js';

export interface NewTableRequest {
  table: string;
  /** The explicit schema (may be empty). */
  fields: Field[];
  /** The schema of the rows being written, used when `fields` is empty. */
  incoming: () => StructType;
  partitionColumns: string[];
  properties: Record<string, string | null>;
}

export interface NewTable {
  protocol: Protocol;
  metadata: Metadata;
  schema: StructType;
}

/** Problems with a new table's definition (messages without the table's name). */
export function newTableProblems(schema: StructType, partitionColumns: string[], properties: Record<string, string | null>): string[] {
  const out = [...columnNameProblems(schema), ...tablePropertyProblems(properties)];
  const seen = new Set<string>();
  for (const p of partitionColumns) {
    if (seen.has(p)) out.push(`partition column "${p}" is listed twice`);
    seen.add(p);
    const f = schema.fields.find((x) => x.name === p);
    if (!f) {
      out.push(`partition column "${p}" is not a column of the table (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
      continue;
    }
    const problem = partitionTypeProblem(f.type);
    if (problem) out.push(`partition column "${p}": ${problem}`);
  }
  if (schema.fields.length > 0 && schema.fields.every((f) => partitionColumns.includes(f.name))) out.push('every column is a partition column; a Delta table needs at least one data column');
  if (schema.fields.length === 0) out.push('the table would have no columns');
  return out;
}

export function newTable(req: NewTableRequest): NewTable {
  let schema: StructType;
  try {
    schema = req.fields.length ? schemaOfFields(req.fields) : req.incoming();
  } catch (e) {
    if (e instanceof SchemaError) throw deltaError('AQ_DELTA_SCHEMA_MISMATCH', req.table, null, `schema: column ${e.message}`);
    throw e;
  }
  const problems = newTableProblems(schema, req.partitionColumns, req.properties);
  if (problems.length) {
    const unsupported = problems.some((p) => p.startsWith('table property'));
    throw deltaError(unsupported ? 'AQ_DELTA_UNSUPPORTED' : 'AQ_DESTINATION_FAILED', req.table, null, `cannot create the table: ${problems.join('; ')}`);
  }
  const configuration: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.properties)) if (v !== null) configuration[k] = v;
  const appendOnly = (configuration['delta.appendOnly'] ?? '').toLowerCase() === 'true';
  const protocol: Protocol = usesTimestampNtz(schema)
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: appendOnly ? ['appendOnly', 'timestampNtz'] : ['timestampNtz'] }
    : { minReaderVersion: 1, minWriterVersion: 2 };
  const metadata: Metadata = {
    id: randomUUID(),
    format: { provider: 'parquet', options: {} },
    schemaString: schemaString(schema),
    partitionColumns: [...req.partitionColumns],
    createdTime: Date.now(),
    configuration,
  };
  return { protocol, metadata, schema };
}
