/**
 * Destinations (docs/pipeline-format.md, "Destinations"): an internally tagged enum; write modes and file types are
 * adjacently tagged.
 */
import { readSchema } from './decode-field.js';
import {
  type Reader, complete, readBool, readChar, readMap, readOption, readSeq, readString, readStringList,
  readStringMap, readUsize,
} from './decode-scalars.js';
import { type FieldSpec, openStruct, readAdjacent, readTagged } from './decode-struct.js';
import { readLocation } from './decode-source.js';
import type { DeltaWriteMode, Destination, DestinationFileType, OdbcWriteMode } from './types.js';
import {
  DELTA_WRITE_MODE_VARIANTS, DESTINATION_FILE_TYPE_VARIANTS, DESTINATION_VARIANTS, ODBC_WRITE_MODE_VARIANTS,
} from './variants.js';

const STORAGE: FieldSpec = { name: 'storage_config', aliases: ['storage_options'] };
const PARTITIONS: FieldSpec = { name: 'partition_columns', aliases: ['partition_cols'] };

const DESTINATION_FIELDS: Record<Destination['type'], FieldSpec[]> = {
  in_memory: [{ name: 'name' }],
  file: [
    { name: 'name' }, { name: 'location' }, { name: 'format', aliases: ['file_type'] }, { name: 'single_file' },
    PARTITIONS, STORAGE,
  ],
  odbc: [{ name: 'name' }, { name: 'connection_string' }, { name: 'write_mode' }, { name: 'batch_size' }],
  delta: [
    { name: 'name' }, { name: 'location' }, { name: 'write_mode', aliases: ['mode'] }, STORAGE, PARTITIONS,
    { name: 'table_properties' }, { name: 'metadata', aliases: ['custom_metadata'] }, { name: 'schema' },
  ],
};

export const readDestination: Reader<Destination> = (ctx, v, path) => {
  const tagged = readTagged(ctx, v, path, DESTINATION_VARIANTS, DESTINATION_FIELDS);
  if (!tagged) return undefined;
  const { s } = tagged;
  const name = s.required('name', readString);
  switch (tagged.variant) {
    case 'in_memory':
      return complete<Destination>({ type: 'in_memory', name });
    case 'file':
      return complete<Destination>({
        type: 'file', name,
        location: s.required('location', readLocation),
        format: s.required('format', readDestinationFileType),
        single_file: s.optional('single_file', readBool, true),
        partition_columns: s.optional('partition_columns', readStringList, []),
        storage_config: s.optional('storage_config', readStringMap, {}),
      });
    case 'odbc':
      return complete<Destination>({
        type: 'odbc', name,
        connection_string: s.required('connection_string', readString),
        write_mode: s.required('write_mode', readOdbcWriteMode),
        batch_size: s.optional('batch_size', readUsize, 1000),
      });
    case 'delta':
      return complete<Destination>({
        type: 'delta', name,
        location: s.required('location', readLocation),
        write_mode: s.required('write_mode', readDeltaWriteMode),
        storage_config: s.optional('storage_config', readStringMap, {}),
        partition_columns: s.optional('partition_columns', readStringList, []),
        table_properties: s.optional('table_properties', readMap(readOption(readString)), {}),
        metadata: s.optional('metadata', readStringMap, {}),
        schema: s.optional('schema', readSchema, []),
      });
  }
};

const readDestinationFileType: Reader<DestinationFileType> = (ctx, v, path) => {
  const a = readAdjacent(ctx, v, path, DESTINATION_FILE_TYPE_VARIANTS, { tag: 'type', content: 'options' }, ['json']);
  if (!a) return undefined;
  if (a.variant === 'json' || !a.content) return { type: 'json' };
  const { value, path: optionsPath } = a.content;
  if (a.variant === 'parquet') {
    const options = readStringMap(ctx, value, optionsPath);
    return options && { type: 'parquet', options };
  }
  const fields = [{ name: 'has_header' }, { name: 'delimiter' }, { name: 'compression' }];
  const s = openStruct(ctx, value, optionsPath, 'CsvDestinationOptions', fields);
  if (!s) return undefined;
  const options = complete({
    has_header: s.optional('has_header', readBool, true),
    delimiter: s.optional('delimiter', readChar, ','),
    compression: s.optional('compression', readOption(readString), null),
  });
  return options && { type: 'csv', options };
};

const readOdbcWriteMode: Reader<OdbcWriteMode> = (ctx, v, path) => {
  const a = readAdjacent(ctx, v, path, ODBC_WRITE_MODE_VARIANTS, { tag: 'operation', content: 'transaction' }, ['append']);
  if (!a) return undefined;
  if (a.variant === 'append' || !a.content) return { operation: 'append' };
  const fields = [{ name: 'pre_insert' }, { name: 'insert' }];
  const s = openStruct(ctx, a.content.value, a.content.path, 'CustomStatements', fields);
  if (!s) return undefined;
  const transaction = complete({
    pre_insert: s.optional('pre_insert', readOption(readString), null),
    insert: s.required('insert', readString),
  });
  return transaction && { operation: 'custom', transaction };
};

const readReplaceCondition: Reader<{ column: string; value: string }> = (ctx, v, path) => {
  const s = openStruct(ctx, v, path, 'ReplaceCondition', [{ name: 'column' }, { name: 'value' }]);
  return s && complete({ column: s.required('column', readString), value: s.required('value', readString) });
};

const readDeltaWriteMode: Reader<DeltaWriteMode> = (ctx, v, path) => {
  const a = readAdjacent(ctx, v, path, DELTA_WRITE_MODE_VARIANTS, { tag: 'operation', content: 'params' }, ['append']);
  if (!a) return undefined;
  if (a.variant === 'append' || !a.content) return { operation: 'append' };
  const { value, path: paramsPath } = a.content;
  if (a.variant === 'upsert') {
    const params = readStringList(ctx, value, paramsPath);
    return params && { operation: 'upsert', params };
  }
  const params = readSeq(readReplaceCondition)(ctx, value, paramsPath);
  return params && { operation: 'replace', params };
};
