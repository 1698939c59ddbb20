import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, errorsOf, warningsOf, withSource } from './helpers.js';

const csv = { type: 'csv', options: {} };
const CSV_DEFAULTS = { type: 'csv', options: { has_header: true, delimiter: ',', schema: [] } };

const source = (raw: unknown): unknown => decode(withSource(raw)).pipeline.sources[0];

test('every source type name and alias is accepted, case-sensitively', () => {
  const accepted: Array<[string, string]> = [
    ['in_memory', 'in_memory'], ['memory', 'in_memory'], ['InMemory', 'in_memory'],
    ['file', 'file'], ['File', 'file'],
    ['directory', 'directory'], ['dir', 'directory'], ['Directory', 'directory'],
    ['odbc', 'odbc'], ['database', 'odbc'], ['Odbc', 'odbc'],
    ['delta', 'delta'], ['Delta', 'delta'],
  ];
  const bodies: Record<string, object> = {
    in_memory: {},
    file: { format: csv, location: '/d/a.csv' },
    directory: { format: csv, location: '/d' },
    odbc: { load_query: 'SELECT 1', connection_string: 'DSN=x' },
    delta: { location: '/d/t' },
  };
  for (const [tag, variant] of accepted) {
    const s = source({ type: tag, name: 't', ...bodies[variant] }) as { type: string };
    assert.equal(s.type, variant, tag);
  }
  const expected = 'expected one of `InMemory`, `in_memory`, `memory`, `File`, `file`, `Directory`, `dir`, `directory`, '
    + '`Odbc`, `database`, `odbc`, `Delta`, `delta`';
  assert.deepEqual(errorsOf(withSource({ type: 'FILE', name: 't' })), [['sources[0].type', `unknown variant \`FILE\`, ${expected}`]]);
  assert.deepEqual(errorsOf(withSource({ type: 'kafka', name: 't' })), [['sources[0].type', `unknown variant \`kafka\`, ${expected}`]]);
});

test('in_memory source', () => {
  assert.deepEqual(source({ type: 'memory', name: 'existing' }), { type: 'in_memory', name: 'existing' });
});

test('file source: defaults and aliases', () => {
  assert.deepEqual(source({ type: 'file', name: 'f', format: csv, location: './data/a.csv' }), {
    type: 'file', name: 'f', format: CSV_DEFAULTS, location: 'file:///srv/work/data/a.csv', storage_config: {},
  });
  assert.deepEqual(
    source({ type: 'file', name: 'f', file_type: { type: 'Parquet', options: {} }, location: 's3://b/k.parquet', storage_options: { AWS_REGION: 'eu-west-1' } }),
    {
      type: 'file', name: 'f', format: { type: 'parquet', options: { schema: [] } }, location: 's3://b/k.parquet',
      storage_config: { AWS_REGION: 'eu-west-1' },
    },
  );
  assert.deepEqual(
    (source({ type: 'file', name: 'f', format: { type: 'Json', options: {} }, location: '/x.ndjson' }) as { format: unknown }).format,
    { type: 'json', options: { schema: [] } },
  );
});

test('csv options: explicit values and schema', () => {
  const s = source({
    type: 'file', name: 'f', location: '/a.csv',
    format: { type: 'Csv', options: { has_header: false, delimiter: ';', schema: [{ name: 'a', type: 'int', nullable: false }] } },
  }) as { format: unknown };
  assert.deepEqual(s.format, {
    type: 'csv',
    options: {
      has_header: false, delimiter: ';',
      schema: [{ name: 'a', data_type: 'int32', type: { kind: 'int32' }, nullable: false, description: null }],
    },
  });
  const tab = source({ type: 'file', name: 'f', location: '/a.tsv', format: { type: 'csv', options: { delimiter: '\t' } } }) as {
    format: { options: { delimiter: string } };
  };
  assert.equal(tab.format.options.delimiter, '\t');
});

test('delimiter must be exactly one character', () => {
  const at = 'sources[0].format.options.delimiter';
  const withDelimiter = (delimiter: unknown): unknown => withSource({ type: 'file', name: 'f', location: '/a', format: { type: 'csv', options: { delimiter } } });
  assert.deepEqual(errorsOf(withDelimiter(',,')), [[at, 'invalid value: string ",,", expected a character']]);
  assert.deepEqual(errorsOf(withDelimiter('')), [[at, 'invalid value: string "", expected a character']]);
  assert.deepEqual(errorsOf(withDelimiter(1)), [[at, 'invalid type: integer `1`, expected a character']]);
  assert.deepEqual(errorsOf(withDelimiter(null)), [[at, 'invalid type: null, expected a character']]);
});

test('adjacently tagged format: options required, tag checked', () => {
  const file = (format: unknown): unknown => withSource({ type: 'file', name: 'f', location: '/a', format });
  assert.deepEqual(errorsOf(file({ type: 'csv' })), [['sources[0].format', 'missing field `options`']]);
  assert.deepEqual(errorsOf(file({ options: {} })), [['sources[0].format', 'missing field `type`']]);
  assert.deepEqual(errorsOf(file({ type: 'CSV', options: {} })), [
    ['sources[0].format.type', 'unknown variant `CSV`, expected one of `Parquet`, `parquet`, `Csv`, `csv`, `Json`, `json`'],
  ]);
  assert.deepEqual(errorsOf(file('csv')), [['sources[0].format', 'invalid type: string "csv", expected adjacently tagged enum SourceFileType']]);
  assert.deepEqual(errorsOf(file({ type: 'csv', options: null })), [['sources[0].format.options', 'invalid type: null, expected struct CsvSourceOptions']]);
  assert.deepEqual(errorsOf(file({ type: 'parquet', options: [] })), [['sources[0].format.options', 'invalid type: sequence, expected struct ParquetSourceOptions']]);
});

test('directory source: partition columns in tuple and object form, output as parsed types', () => {
  const s = source({
    type: 'dir', name: 'd', format: csv, location: '/data/events/',
    partition_cols: [['date', 'date'], { name: 'region', data_type: 'utf8', extra: 1 }],
  });
  assert.deepEqual(s, {
    type: 'directory', name: 'd', format: CSV_DEFAULTS,
    partition_columns: [
      { name: 'date', data_type: 'date32', type: { kind: 'date32' } },
      { name: 'region', data_type: 'string', type: { kind: 'string' } },
    ],
    location: 'file:///data/events', storage_config: {},
  });
  assert.deepEqual((source({ type: 'directory', name: 'd', format: csv, location: '/x' }) as { partition_columns: unknown }).partition_columns, []);
});

test('partition columns: untagged failures and data type errors', () => {
  const dir = (partition_columns: unknown): unknown => withSource({ type: 'directory', name: 'd', format: csv, location: '/x', partition_columns });
  const untagged = 'data did not match any variant of untagged enum PartitionColumn';
  assert.deepEqual(errorsOf(dir([['a']])), [['sources[0].partition_columns[0]', untagged]]);
  assert.deepEqual(errorsOf(dir([['a', 'int32', 'x']])), [['sources[0].partition_columns[0]', untagged]]);
  assert.deepEqual(errorsOf(dir(['a'])), [['sources[0].partition_columns[0]', untagged]]);
  assert.deepEqual(errorsOf(dir([['a', 5]])), [['sources[0].partition_columns[0]', untagged]]);
  assert.deepEqual(errorsOf(dir([{ name: 'a', type: 'int32' }])), [
    ['sources[0].partition_columns[0]', `${untagged} (write \`data_type\`, the \`type\` alias is not accepted here)`],
  ]);
  assert.deepEqual(errorsOf(dir([['a', 'int33']])), [
    ['sources[0].partition_columns[0][1]', 'Invalid data type in partition column: Unknown data type: int33'],
  ]);
  assert.deepEqual(errorsOf(dir([{ name: 'a', data_type: 'list<>' }])), [
    ['sources[0].partition_columns[0].data_type', 'Invalid data type in partition column: list type requires exactly 1 parameter, got 0'],
  ]);
  assert.deepEqual(errorsOf(dir(null)), [['sources[0].partition_columns', 'invalid type: null, expected a sequence']]);
});

test('odbc source: query alias', () => {
  assert.deepEqual(source({ type: 'database', name: 'o', query: 'SELECT 1', connection_string: 'DSN=pg' }), {
    type: 'odbc', name: 'o', load_query: 'SELECT 1', connection_string: 'DSN=pg',
  });
  assert.deepEqual(errorsOf(withSource({ type: 'odbc', name: 'o', connection_string: 'x' })), [['sources[0]', 'missing field `load_query`']]);
});

test('delta source: version and timestamp', () => {
  assert.deepEqual(source({ type: 'delta', name: 't', location: 's3://b/t' }), {
    type: 'delta', name: 't', location: 's3://b/t', storage_config: {}, version: null, timestamp: null,
  });
  const at = (extra: object): unknown => source({ type: 'delta', name: 't', location: '/t', ...extra });
  assert.equal((at({ version: 3 }) as { version: number }).version, 3);
  assert.equal((at({ version: null }) as { version: null }).version, null);
  const ts = (timestamp: string): unknown => (at({ timestamp }) as { timestamp: string }).timestamp;
  assert.equal(ts('2024-01-15T10:30:00Z'), '2024-01-15T10:30:00Z');
  assert.equal(ts('2024-01-15T11:30:00+01:00'), '2024-01-15T10:30:00Z');
  assert.equal(ts('2024-01-15 05:00:00-05:30'), '2024-01-15T10:30:00Z');
  assert.equal(ts('2024-01-01T00:30:00+01:00'), '2023-12-31T23:30:00Z');
  assert.equal(ts('2024-01-15T10:30:00.5Z'), '2024-01-15T10:30:00.500Z');
  assert.equal(ts('2024-01-15T10:30:00.123456Z'), '2024-01-15T10:30:00.123456Z');
  assert.equal(ts('2024-01-15T10:30:00.1234567891z'), '2024-01-15T10:30:00.123456789Z');
  assert.equal(ts('2024-01-15T10:30:00.000Z'), '2024-01-15T10:30:00Z');
  assert.equal(ts('2024-02-29T00:00:00Z'), '2024-02-29T00:00:00Z');
  const bad = (timestamp: unknown): Array<[string, string]> => errorsOf(withSource({ type: 'delta', name: 't', location: '/t', timestamp }));
  const expected = 'expected an RFC 3339 date and time such as 2024-01-15T10:30:00Z';
  assert.deepEqual(bad('2024-01-15'), [['sources[0].timestamp', `invalid value: string "2024-01-15", ${expected}`]]);
  assert.deepEqual(bad('2023-02-29T00:00:00Z'), [['sources[0].timestamp', `invalid value: string "2023-02-29T00:00:00Z", ${expected}`]]);
  assert.deepEqual(bad('2024-01-15T24:00:00Z'), [['sources[0].timestamp', `invalid value: string "2024-01-15T24:00:00Z", ${expected}`]]);
  assert.deepEqual(bad(1700000000), [['sources[0].timestamp', 'invalid type: integer `1700000000`, expected a string']]);
  const version = errorsOf(withSource({ type: 'delta', name: 't', location: '/t', version: 1.5 }));
  assert.deepEqual(version, [['sources[0].version', 'invalid type: floating point `1.5`, expected i64']]);
});

test('sources are strict about scalar types', () => {
  assert.deepEqual(errorsOf(withSource({ type: 'in_memory', name: 123 })), [['sources[0].name', 'invalid type: integer `123`, expected a string']]);
  assert.deepEqual(errorsOf(withSource({ type: 'file', name: 'f', format: csv, location: '/a', storage_config: { AWS_ALLOW_HTTP: true } })), [
    ['sources[0].storage_config.AWS_ALLOW_HTTP', 'invalid type: boolean `true`, expected a string'],
  ]);
  assert.deepEqual(errorsOf(withSource({ type: 'file', name: 'f', format: csv, location: 7 })), [['sources[0].location', 'invalid type: integer `7`, expected a string']]);
  assert.deepEqual(errorsOf(withSource({ type: 'file', name: 'f', format: csv, location: '/a', storage_config: null })), [
    ['sources[0].storage_config', 'invalid type: null, expected a map'],
  ]);
  assert.deepEqual(errorsOf(withSource('file')), [['sources[0]', 'invalid type: string "file", expected internally tagged enum Source']]);
  assert.deepEqual(errorsOf(withSource({ name: 'x' })), [['sources[0]', 'missing field `type`']]);
  assert.deepEqual(errorsOf(withSource({ type: 1, name: 'x' })), [['sources[0].type', 'invalid type: integer `1`, expected variant identifier']]);
});

test('a field given under its name and its alias is a duplicate', () => {
  assert.deepEqual(errorsOf(withSource({ type: 'file', name: 'f', format: csv, file_type: csv, location: '/a' })), [
    ['sources[0].file_type', 'duplicate field `format`'],
  ]);
});

test('missing required fields are all reported', () => {
  assert.deepEqual(errorsOf(withSource({ type: 'file' })), [
    ['sources[0]', 'missing field `name`'],
    ['sources[0]', 'missing field `format`'],
    ['sources[0]', 'missing field `location`'],
  ]);
});

test('unknown keys in sources are warnings, not errors', () => {
  assert.deepEqual(warningsOf(withSource({ type: 'file', name: 'f', format: { type: 'csv', options: { header: true } }, location: '/a', locaton: '/b' })), [
    ['sources[0].locaton', 'unknown field `locaton`, ignored; did you mean `location`?'],
    ['sources[0].format.options.header', 'unknown field `header`, ignored'],
  ]);
});
