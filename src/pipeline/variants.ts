/**
 * Enum variant names of the format (docs/pipeline-format.md, "Enum encodings"). `accepts` lists every spelling the
 * original accepts, in the order serde lists them in `unknown variant` errors (byte-sorted per
 * variant, variants in declaration order).
 */
import type { EnumSpec } from './decode-struct.js';

export const SOURCE_VARIANTS: EnumSpec<'in_memory' | 'file' | 'directory' | 'odbc' | 'delta'> = {
  enumName: 'Source',
  variants: [
    { name: 'in_memory', accepts: ['InMemory', 'in_memory', 'memory'] },
    { name: 'file', accepts: ['File', 'file'] },
    { name: 'directory', accepts: ['Directory', 'dir', 'directory'] },
    { name: 'odbc', accepts: ['Odbc', 'database', 'odbc'] },
    { name: 'delta', accepts: ['Delta', 'delta'] },
  ],
};

export const DESTINATION_VARIANTS: EnumSpec<'in_memory' | 'file' | 'odbc' | 'delta'> = {
  enumName: 'Destination',
  variants: [
    { name: 'in_memory', accepts: ['InMemory', 'in_memory', 'memory'] },
    { name: 'file', accepts: ['File', 'file'] },
    { name: 'odbc', accepts: ['Odbc', 'database', 'odbc'] },
    { name: 'delta', accepts: ['Delta', 'delta'] },
  ],
};

const FILE_TYPES = [
  { name: 'parquet', accepts: ['Parquet', 'parquet'] },
  { name: 'csv', accepts: ['Csv', 'csv'] },
  { name: 'json', accepts: ['Json', 'json'] },
] as const;

export const SOURCE_FILE_TYPE_VARIANTS: EnumSpec<'parquet' | 'csv' | 'json'> = {
  enumName: 'SourceFileType',
  variants: FILE_TYPES,
};

export const DESTINATION_FILE_TYPE_VARIANTS: EnumSpec<'parquet' | 'csv' | 'json'> = {
  enumName: 'DestinationFileType',
  variants: FILE_TYPES,
};

export const DELTA_WRITE_MODE_VARIANTS: EnumSpec<'append' | 'upsert' | 'replace'> = {
  enumName: 'DeltaWriteMode',
  variants: [
    { name: 'append', accepts: ['Append', 'append'] },
    { name: 'upsert', accepts: ['Upsert', 'upsert'] },
    { name: 'replace', accepts: ['Replace', 'replace'] },
  ],
};

export const ODBC_WRITE_MODE_VARIANTS: EnumSpec<'append' | 'custom'> = {
  enumName: 'WriteMode',
  variants: [
    { name: 'append', accepts: ['Append', 'append'] },
    { name: 'custom', accepts: ['Custom', 'custom'] },
  ],
};
