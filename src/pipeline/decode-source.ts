/**
 * Sources (docs/pipeline-format.md, "Sources"): an internally tagged enum; every variant a struct.
 */
import { describeValue } from './decode-context.js';
import { normaliseTimestamp } from './decode-timestamp.js';
import { readPartitionColumns, readSchema } from './decode-field.js';
import {
  type Reader, complete, readBool, readChar, readI64, readOption, readString, readStringMap,
} from './decode-scalars.js';
import { type FieldSpec, openStruct, readAdjacent, readTagged } from './decode-struct.js';
import { parseLocation } from './location.js';
import type { Source, SourceFileType } from './types.js';
import { SOURCE_FILE_TYPE_VARIANTS, SOURCE_VARIANTS } from './variants.js';

export const readLocation: Reader<string> = (ctx, v, path) => {
  const s = readString(ctx, v, path);
  return s === undefined ? undefined : parseLocation(s, ctx.cwd, ctx.relativeLocations);
};

const readTimestamp: Reader<string> = (ctx, v, path) => {
  const s = readString(ctx, v, path);
  if (s === undefined) return undefined;
  const utc = normaliseTimestamp(s);
  if (utc === null) {
    ctx.error(path, `invalid value: ${describeValue(s)}, expected an RFC 3339 date and time such as 2024-01-15T10:30:00Z`);
    return undefined;
  }
  return utc;
};

const FORMAT: FieldSpec = { name: 'format', aliases: ['file_type'] };
const STORAGE: FieldSpec = { name: 'storage_config', aliases: ['storage_options'] };

const SOURCE_FIELDS: Record<Source['type'], FieldSpec[]> = {
  in_memory: [{ name: 'name' }],
  file: [{ name: 'name' }, FORMAT, { name: 'location' }, STORAGE],
  directory: [{ name: 'name' }, FORMAT, { name: 'partition_columns', aliases: ['partition_cols'] }, { name: 'location' }, STORAGE],
  odbc: [{ name: 'name' }, { name: 'load_query', aliases: ['query'] }, { name: 'connection_string' }],
  delta: [{ name: 'name' }, { name: 'location' }, STORAGE, { name: 'version' }, { name: 'timestamp' }],
};

export const readSource: Reader<Source> = (ctx, v, path) => {
  const tagged = readTagged(ctx, v, path, SOURCE_VARIANTS, SOURCE_FIELDS);
  if (!tagged) return undefined;
  const { s } = tagged;
  const name = s.required('name', readString);
  switch (tagged.variant) {
    case 'in_memory':
      return complete<Source>({ type: 'in_memory', name });
    case 'file':
      return complete<Source>({
        type: 'file', name,
        format: s.required('format', readSourceFileType),
        location: s.required('location', readLocation),
        storage_config: s.optional('storage_config', readStringMap, {}),
      });
    case 'directory':
      return complete<Source>({
        type: 'directory', name,
        format: s.required('format', readSourceFileType),
        partition_columns: s.optional('partition_columns', readPartitionColumns, []),
        location: s.required('location', readLocation),
        storage_config: s.optional('storage_config', readStringMap, {}),
      });
    case 'odbc':
      return complete<Source>({
        type: 'odbc', name,
        load_query: s.required('load_query', readString),
        connection_string: s.required('connection_string', readString),
      });
    case 'delta':
      return complete<Source>({
        type: 'delta', name,
        location: s.required('location', readLocation),
        storage_config: s.optional('storage_config', readStringMap, {}),
        version: s.optional('version', readOption(readI64), null),
        timestamp: s.optional('timestamp', readOption(readTimestamp), null),
      });
  }
};

const SCHEMA_ONLY: FieldSpec[] = [{ name: 'schema' }];

export const readSourceFileType: Reader<SourceFileType> = (ctx, v, path) => {
  const a = readAdjacent(ctx, v, path, SOURCE_FILE_TYPE_VARIANTS, { tag: 'type', content: 'options' }, []);
  if (!a?.content) return undefined;
  const { value, path: optionsPath } = a.content;
  if (a.variant === 'csv') {
    const fields = [{ name: 'has_header' }, { name: 'delimiter' }, { name: 'schema' }];
    const s = openStruct(ctx, value, optionsPath, 'CsvSourceOptions', fields);
    if (!s) return undefined;
    const options = complete({
      has_header: s.optional('has_header', readBool, true),
      delimiter: s.optional('delimiter', readChar, ','),
      schema: s.optional('schema', readSchema, []),
    });
    return options && { type: 'csv', options };
  }
  const structName = a.variant === 'parquet' ? 'ParquetSourceOptions' : 'JsonSourceOptions';
  const s = openStruct(ctx, value, optionsPath, structName, SCHEMA_ONLY);
  const schema = s?.optional('schema', readSchema, []);
  return schema && { type: a.variant, options: { schema } };
};
