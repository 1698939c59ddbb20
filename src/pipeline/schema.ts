/**
 * A JSON Schema (draft-07, what yaml-language-server handles best) of the definition format, for
 * editors. It mirrors docs/pipeline-format.md: every alias is accepted, defaults are shown, unknown keys
 * stay allowed (the format ignores them; `aqueducts validate` warns about them).
 */
import type { EnumSpec } from './decode-struct.js';
import {
  DELTA_WRITE_MODE_VARIANTS, DESTINATION_FILE_TYPE_VARIANTS, DESTINATION_VARIANTS, ODBC_WRITE_MODE_VARIANTS,
  SOURCE_FILE_TYPE_VARIANTS, SOURCE_VARIANTS,
} from './variants.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string, dflt: boolean): Schema => ({ type: 'boolean', description, default: dflt });
const stringMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string' }, default: {} });
const stringList = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' }, default: [] });
const nullable = (s: Schema): Schema => ({ ...s, type: [s['type'] as string, 'null'] });

function tag<N extends string>(spec: EnumSpec<N>, name: N, description: string): Schema {
  const accepts = spec.variants.find((v) => v.name === name)?.accepts ?? [name];
  return { type: 'string', enum: [name, ...accepts.filter((a) => a !== name)], description };
}

/** The field is required under its name or one of its aliases. */
const requiredOneOf = (...names: string[]): Schema => ({ anyOf: names.map((n) => ({ required: [n] })) });

/** An object that must have all `required` keys, where an entry `[a, b]` means `a` or its alias `b`. */
function struct(description: string, properties: Record<string, Schema>, required: Array<string | string[]> = []): Schema {
  const plain = required.filter((r): r is string => typeof r === 'string');
  const aliased = required.filter((r): r is string[] => Array.isArray(r)).map((names) => requiredOneOf(...names));
  return {
    type: 'object', description, properties,
    ...(plain.length > 0 ? { required: plain } : {}),
    ...(aliased.length > 0 ? { allOf: aliased } : {}),
  };
}

const LOCATION = str(
  'A URL (s3://, gs://, az://, abfss://, https://, file://) or a filesystem path; relative paths are resolved against the executor\'s working directory.',
  { examples: ['./data/input.csv', 's3://bucket/prefix/data.parquet'] },
);
const STORAGE = stringMap('Object store options (credentials, endpoint, region, ...). Alias: storage_options.');
const SCHEMA_LIST = { type: 'array', description: 'Columns to read with; a non-empty schema replaces inference.', items: ref('Field'), default: [] };
const DELIMITER = str('A single character.', { minLength: 1, default: ',' });

const DATA_TYPE = str(
  'Data type, e.g. string, int64, bool, float64, date32, decimal<10,2>, timestamp<millisecond,UTC>, list<string>, struct<a:int32,b:string>, map<string,int64>.',
  { examples: ['string', 'int64', 'decimal<10,2>', 'timestamp<millisecond,UTC>', 'list<string>'] },
);

function fileTypes<N extends 'parquet' | 'csv' | 'json'>(spec: EnumSpec<N>, options: Record<N, Schema | null>): Schema {
  return {
    description: 'File format: {type, options}. `options` is required except for a json destination.',
    oneOf: spec.variants.map(({ name }) => {
      const opts = options[name];
      return opts === null
        ? struct(`${name} (no options)`, { type: tag(spec, name, 'File type.'), options: { type: 'null' } }, ['type'])
        : struct(`${name} file`, { type: tag(spec, name, 'File type.'), options: opts }, ['type', 'options']);
    }),
  };
}

function sources(): Schema {
  const s = SOURCE_VARIANTS;
  const name = str('Table name the source is registered as.');
  const format = ref('SourceFileType');
  return {
    oneOf: [
      struct('A table that already exists in the session.', { type: tag(s, 'in_memory', 'Source type.'), name }, ['type', 'name']),
      struct('A single file.', {
        type: tag(s, 'file', 'Source type.'), name, format, file_type: format, location: LOCATION,
        storage_config: STORAGE, storage_options: STORAGE,
      }, ['type', 'name', 'location', ['format', 'file_type']]),
      struct('A directory of files, optionally hive-partitioned.', {
        type: tag(s, 'directory', 'Source type.'), name, format, file_type: format,
        partition_columns: { type: 'array', items: ref('PartitionColumn'), default: [], description: 'Partition columns. Alias: partition_cols.' },
        partition_cols: { type: 'array', items: ref('PartitionColumn') },
        location: LOCATION, storage_config: STORAGE, storage_options: STORAGE,
      }, ['type', 'name', 'location', ['format', 'file_type']]),
      struct('The result of a query over ODBC.', {
        type: tag(s, 'odbc', 'Source type.'), name,
        load_query: str('Query to run. Alias: query.'), query: str('Alias of load_query.'),
        connection_string: str('ODBC connection string.'),
      }, ['type', 'name', 'connection_string', ['load_query', 'query']]),
      struct('A Delta Lake table.', {
        type: tag(s, 'delta', 'Source type.'), name, location: LOCATION, storage_config: STORAGE, storage_options: STORAGE,
        version: { type: ['integer', 'null'], description: 'Table version to read (time travel).' },
        timestamp: nullable(str('RFC 3339 timestamp to read the table at (time travel).', { examples: ['2024-01-15T10:30:00Z'] })),
      }, ['type', 'name', 'location']),
    ],
  };
}

function destinations(): Schema {
  const d = DESTINATION_VARIANTS;
  const format = ref('DestinationFileType');
  const partitions = stringList('Columns to partition the output by. Alias: partition_cols.');
  const deltaMode = ref('DeltaWriteMode');
  const metadata = stringMap('Custom table metadata. Alias: custom_metadata.');
  return {
    oneOf: [
      struct('Register the result as a table in the session.', { type: tag(d, 'in_memory', 'Destination type.'), name: str('Table name.') }, ['type', 'name']),
      struct('Write files.', {
        type: tag(d, 'file', 'Destination type.'), name: str('Name of the output.'), location: LOCATION,
        format, file_type: format, single_file: bool('Write exactly one file.', true),
        partition_columns: partitions, partition_cols: partitions, storage_config: STORAGE, storage_options: STORAGE,
      }, ['type', 'name', 'location', ['format', 'file_type']]),
      struct('Insert into a table over ODBC.', {
        type: tag(d, 'odbc', 'Destination type.'), name: str('Target table.'), connection_string: str('ODBC connection string.'),
        write_mode: ref('OdbcWriteMode'),
        batch_size: { type: 'integer', minimum: 0, default: 1000, description: 'Rows per insert batch.' },
      }, ['type', 'name', 'connection_string', 'write_mode']),
      struct('Write a Delta Lake table.', {
        type: tag(d, 'delta', 'Destination type.'), name: str('Name of the output.'), location: LOCATION,
        write_mode: deltaMode, mode: deltaMode, storage_config: STORAGE, storage_options: STORAGE,
        partition_columns: partitions, partition_cols: partitions,
        table_properties: { type: 'object', additionalProperties: { type: ['string', 'null'] }, default: {}, description: 'Delta table properties.' },
        metadata, custom_metadata: metadata, schema: { ...SCHEMA_LIST, description: 'Table schema.' },
      }, ['type', 'name', 'location', ['write_mode', 'mode']]),
    ],
  };
}

function writeModes(): Record<string, Schema> {
  const delta = DELTA_WRITE_MODE_VARIANTS;
  const odbc = ODBC_WRITE_MODE_VARIANTS;
  const op = 'Write operation.';
  return {
    DeltaWriteMode: {
      description: 'How to write the Delta table.',
      oneOf: [
        struct('Append rows.', { operation: tag(delta, 'append', op), params: { type: 'null' } }, ['operation']),
        struct('Merge on the given key columns.', {
          operation: tag(delta, 'upsert', op), params: { type: 'array', items: { type: 'string' }, description: 'Key columns.' },
        }, ['operation', 'params']),
        struct('Overwrite the rows matching every condition.', {
          operation: tag(delta, 'replace', op),
          params: { type: 'array', items: ref('ReplaceCondition'), description: 'Conditions `column = value`, joined with AND.' },
        }, ['operation', 'params']),
      ],
    },
    ReplaceCondition: struct('A condition column = value.', { column: str('Column name.'), value: str('Value (always a string).') }, ['column', 'value']),
    OdbcWriteMode: {
      description: 'How to write over ODBC.',
      oneOf: [
        struct('Insert the rows.', { operation: tag(odbc, 'append', op), transaction: { type: 'null' } }, ['operation']),
        struct('Run custom statements.', {
          operation: tag(odbc, 'custom', op),
          transaction: struct('Statements.', {
            pre_insert: nullable(str('Statement run before inserting.')),
            insert: str('Insert statement with ? placeholders.'),
          }, ['insert']),
        }, ['operation', 'transaction']),
      ],
    },
  };
}

export function pipelineJsonSchema(): Schema {
  const csvSource = struct('CSV options.', {
    has_header: bool('The first row is a header.', true), delimiter: DELIMITER, schema: SCHEMA_LIST,
  });
  const schemaOnly = (what: string): Schema => struct(`${what} options.`, { schema: SCHEMA_LIST });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Aqueduct',
    description: 'An Aqueducts pipeline: sources, stages of SQL queries, and an optional destination.',
    type: 'object',
    required: ['sources', 'stages'],
    properties: {
      version: str('Format version.', { default: 'v2' }),
      sources: { type: 'array', items: ref('Source'), description: 'Tables the stages read from.' },
      stages: {
        type: 'array',
        description: 'Steps run one after another; the stages inside one step run in parallel.',
        items: { type: 'array', items: ref('Stage') },
      },
      destination: { description: 'Where the result of the last stage is written.', oneOf: [ref('Destination'), { type: 'null' }], default: null },
    },
    definitions: {
      Source: sources(),
      Destination: destinations(),
      SourceFileType: fileTypes(SOURCE_FILE_TYPE_VARIANTS, { csv: csvSource, parquet: schemaOnly('Parquet'), json: schemaOnly('JSON') }),
      DestinationFileType: fileTypes(DESTINATION_FILE_TYPE_VARIANTS, {
        csv: struct('CSV options.', {
          has_header: bool('Write a header row.', true), delimiter: DELIMITER,
          compression: nullable(str('Compression (accepted, not used).')),
        }),
        parquet: { type: 'object', additionalProperties: { type: 'string' }, description: 'Parquet writer options (may be {}).' },
        json: null,
      }),
      ...writeModes(),
      Stage: struct('A SQL query whose result is registered as a table named after the stage.', {
        name: str('Table name of the result.', { minLength: 1 }),
        query: str('One SELECT query.', { minLength: 1 }),
        show: { type: ['integer', 'null'], minimum: 0, default: null, description: 'Print this many rows (0 = all, capped at 500).' },
        explain: bool('Print the query plan.', false),
        explain_analyze: bool('Print the query plan with execution metrics.', false),
        print_schema: bool('Print the result schema.', false),
      }, ['name', 'query']),
      Field: struct('A column.', {
        name: str('Column name.'), data_type: DATA_TYPE, type: { ...DATA_TYPE, description: 'Alias of data_type.' },
        nullable: bool('The column may hold nulls.', true), description: nullable(str('Description.')),
      }, ['name', ['data_type', 'type']]),
      PartitionColumn: {
        description: 'A partition column: [name, data_type] or {name, data_type}.',
        oneOf: [
          { type: 'array', items: [{ type: 'string' }, DATA_TYPE], minItems: 2, maxItems: 2 },
          struct('Partition column.', { name: str('Column name.'), data_type: DATA_TYPE }, ['name', 'data_type']),
        ],
      },
    },
  };
}
