/**
 * Canonical JSON of a pipeline, byte for byte what the original's `serde_json::to_string` writes:
 * field order of docs/pipeline-format.md, "Sources" and "Fields and data types", `type` first, unit variants as the bare tag, data types
 * in Display form, Field `description` omitted when null, directory partition columns as tuples.
 */
import type {
  Aqueduct, DeltaWriteMode, Destination, DestinationFileType, Field, OdbcWriteMode, Source, SourceFileType, Stage,
} from './types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function field(f: Field): Json {
  const out: Record<string, Json> = { name: f.name, data_type: f.data_type, nullable: f.nullable };
  if (f.description !== null) out['description'] = f.description;
  return out;
}

function sourceFileType(t: SourceFileType): Json {
  if (t.type === 'csv') {
    const { has_header, delimiter, schema } = t.options;
    return { type: 'csv', options: { has_header, delimiter, schema: schema.map(field) } };
  }
  return { type: t.type, options: { schema: t.options.schema.map(field) } };
}

function source(s: Source): Json {
  switch (s.type) {
    case 'in_memory':
      return { type: s.type, name: s.name };
    case 'file':
      return { type: s.type, name: s.name, format: sourceFileType(s.format), location: s.location, storage_config: { ...s.storage_config } };
    case 'directory':
      return {
        type: s.type, name: s.name, format: sourceFileType(s.format),
        partition_columns: s.partition_columns.map((c) => [c.name, c.data_type]),
        location: s.location, storage_config: { ...s.storage_config },
      };
    case 'odbc':
      return { type: s.type, name: s.name, load_query: s.load_query, connection_string: s.connection_string };
    case 'delta':
      return {
        type: s.type, name: s.name, location: s.location, storage_config: { ...s.storage_config },
        version: s.version, timestamp: s.timestamp,
      };
  }
}

function stage(s: Stage): Json {
  return {
    name: s.name, query: s.query, show: s.show,
    explain: s.explain, explain_analyze: s.explain_analyze, print_schema: s.print_schema,
  };
}

function destinationFileType(t: DestinationFileType): Json {
  if (t.type === 'json') return { type: 'json' };
  if (t.type === 'parquet') return { type: 'parquet', options: { ...t.options } };
  const { has_header, delimiter, compression } = t.options;
  return { type: 'csv', options: { has_header, delimiter, compression } };
}

function odbcWriteMode(m: OdbcWriteMode): Json {
  if (m.operation === 'append') return { operation: 'append' };
  return { operation: 'custom', transaction: { pre_insert: m.transaction.pre_insert, insert: m.transaction.insert } };
}

function deltaWriteMode(m: DeltaWriteMode): Json {
  switch (m.operation) {
    case 'append':
      return { operation: 'append' };
    case 'upsert':
      return { operation: 'upsert', params: [...m.params] };
    case 'replace':
      return { operation: 'replace', params: m.params.map((c) => ({ column: c.column, value: c.value })) };
  }
}

function destination(d: Destination): Json {
  switch (d.type) {
    case 'in_memory':
      return { type: d.type, name: d.name };
    case 'file':
      return {
        type: d.type, name: d.name, location: d.location, format: destinationFileType(d.format),
        single_file: d.single_file, partition_columns: [...d.partition_columns], storage_config: { ...d.storage_config },
      };
    case 'odbc':
      return {
        type: d.type, name: d.name, connection_string: d.connection_string,
        write_mode: odbcWriteMode(d.write_mode), batch_size: d.batch_size,
      };
    case 'delta':
      return {
        type: d.type, name: d.name, location: d.location, write_mode: deltaWriteMode(d.write_mode),
        storage_config: { ...d.storage_config }, partition_columns: [...d.partition_columns],
        table_properties: { ...d.table_properties }, metadata: { ...d.metadata }, schema: d.schema.map(field),
      };
  }
}

/** The pipeline as the original's canonical JSON (the `execution_request` payload). */
export function aqueductToJson(p: Aqueduct): Json {
  return {
    version: p.version,
    sources: p.sources.map(source),
    stages: p.stages.map((group) => group.map(stage)),
    destination: p.destination === null ? null : destination(p.destination),
  };
}

export function serializeAqueduct(p: Aqueduct): string {
  return JSON.stringify(aqueductToJson(p));
}
