/**
 * What `aqueducts validate` can know about Delta sources and destinations without touching a
 * store: each finding has a path relative to the source or destination (`['write_mode', 'params',
 * 0]`) and a message. Columns named by the write mode are checked against the declared schema
 * (and partition columns) when there is one; without a schema they can only be checked against
 * the table when the run starts (checkDeltaDestination).
 */
import { partitionTypeProblem } from './partition-values.js';
import { tablePropertyProblems } from './protocol.js';
import { columnNameProblems, schemaOfFields, SchemaError, typeText, type StructType } from './schema.js';
import type { DeltaSource } from './source.js';
import type { DeltaDestination } from './write/writer.js';

export interface DeltaFinding {
  path: Array<string | number>;
  message: string;
  severity: 'error' | 'warning';
}

export function deltaSourceFindings(source: DeltaSource): DeltaFinding[] {
  const out: DeltaFinding[] = [];
  if (source.version !== null && (!Number.isInteger(source.version) || source.version < 0)) {
    out.push({ path: ['version'], message: `version must be a non-negative integer, not ${source.version}`, severity: 'error' });
  }
  if (source.version !== null && source.timestamp !== null) {
    out.push({ path: ['timestamp'], message: 'both version and timestamp are given; version is read and timestamp ignored', severity: 'warning' });
  }
  return out;
}

export function deltaDestinationFindings(dest: DeltaDestination): DeltaFinding[] {
  const out: DeltaFinding[] = [];
  const error = (path: Array<string | number>, message: string) => out.push({ path, message, severity: 'error' });
  let schema: StructType | null = null;
  if (dest.schema.length) {
    try {
      schema = schemaOfFields(dest.schema);
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      const column = e.message.split(':')[0]!.split('.')[0];
      const i = dest.schema.findIndex((f) => f.name === column);
      error(['schema', Math.max(i, 0), 'data_type'], e.message);
    }
    if (schema) for (const p of columnNameProblems(schema)) error(['schema'], p);
  }
  const known = new Set(dest.schema.map((f) => f.name));
  dest.partition_columns.forEach((c, i) => {
    if (dest.partition_columns.indexOf(c) !== i) error(['partition_columns', i], `partition column "${c}" is listed twice`);
    if (!schema) return;
    const f = schema.fields.find((x) => x.name === c);
    if (!f) error(['partition_columns', i], `partition column "${c}" is not a column of the declared schema (${[...known].join(', ')})`);
    else {
      const problem = partitionTypeProblem(f.type);
      if (problem) error(['partition_columns', i], `partition column "${c}": ${problem}`);
    }
  });
  if (schema && schema.fields.length > 0 && schema.fields.every((f) => dest.partition_columns.includes(f.name))) {
    error(['partition_columns'], 'every column is a partition column; a Delta table needs at least one data column');
  }
  for (const p of tablePropertyProblems(dest.table_properties)) {
    const key = /"([^"]+)"/.exec(p)?.[1] ?? '';
    error(['table_properties', key], p);
  }
  const columnKnown = (c: string) => !schema || known.has(c) || dest.partition_columns.includes(c);
  const mode = dest.write_mode;
  if (mode.operation === 'upsert') {
    if (mode.params.length === 0) error(['write_mode', 'params'], 'an upsert needs at least one key column');
    mode.params.forEach((k, i) => {
      if (!columnKnown(k)) error(['write_mode', 'params', i], `upsert key "${k}" is not a column of the declared schema (${[...known].join(', ')})`);
      const f = schema?.fields.find((x) => x.name === k);
      if (f && f.type.kind !== 'primitive' && f.type.kind !== 'decimal') error(['write_mode', 'params', i], `upsert key "${k}" is of type ${typeText(f.type)}; keys must be of a primitive type`);
    });
  }
  if (mode.operation === 'replace') {
    mode.params.forEach((p, i) => {
      if (!columnKnown(p.column)) error(['write_mode', 'params', i, 'column'], `replace condition on "${p.column}", which is not a column of the declared schema (${[...known].join(', ')})`);
    });
  }
  return out;
}
