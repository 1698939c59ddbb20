/**
 * Field (schema entries) and the partition columns of a directory source (docs/pipeline-format.md, "Fields and data types" and "Partition columns").
 */
import { type DecodeContext, type Path, isPlainObject } from './decode-context.js';
import { type Reader, readBool, readOption, readSeq, readString } from './decode-scalars.js';
import { openStruct } from './decode-struct.js';
import { displayDataType, tryParseDataType } from './data-type.js';
import type { DataType, Field, PartitionColumn } from './types.js';

function dataTypeReader(prefix: string): Reader<DataType> {
  return (ctx, v, path) => {
    const s = readString(ctx, v, path);
    if (s === undefined) return undefined;
    const r = tryParseDataType(s);
    if (r.ok) return r.type;
    ctx.error(path, `${prefix}: ${r.error}`);
    return undefined;
  };
}

const readFieldDataType = dataTypeReader('Invalid data type');

const FIELD_FIELDS = [
  { name: 'name' },
  { name: 'data_type', aliases: ['type'] },
  { name: 'nullable' },
  { name: 'description' },
];

export const readField: Reader<Field> = (ctx, v, path) => {
  // `metadata: {}` appears on every field of the original's examples (deltalake StructField style).
  const s = openStruct(ctx, v, path, 'Field', FIELD_FIELDS, { quietKeys: ['metadata'] });
  if (!s) return undefined;
  const name = s.required('name', readString);
  const type = s.required('data_type', readFieldDataType);
  const nullable = s.optional('nullable', readBool, true);
  const description = s.optional('description', readOption(readString), null);
  if (name === undefined || type === undefined || nullable === undefined || description === undefined) return undefined;
  return { name, data_type: displayDataType(type), type, nullable, description };
};

export const readSchema = readSeq(readField);

const UNTAGGED = 'data did not match any variant of untagged enum PartitionColumn';
const readPartitionDataType = dataTypeReader('Invalid data type in partition column');

/** One partition column: `[name, data_type]` or `{name, data_type}` (untagged; no `type` alias). */
export const readPartitionColumn: Reader<PartitionColumn> = (ctx, v, path) => {
  let name: unknown;
  let dataType: unknown;
  let typePath: Path = path;
  if (Array.isArray(v) && v.length === 2) {
    [name, dataType] = v;
    typePath = [...path, 1];
  } else if (isPlainObject(v)) {
    name = v['name'];
    dataType = v['data_type'];
    typePath = [...path, 'data_type'];
  }
  if (typeof name !== 'string' || typeof dataType !== 'string') {
    const hint = isPlainObject(v) && Object.hasOwn(v, 'type') && !Object.hasOwn(v, 'data_type') ? ' (write `data_type`, the `type` alias is not accepted here)' : '';
    ctx.error(path, UNTAGGED + hint);
    return undefined;
  }
  if (isPlainObject(v)) void openStruct(ctx, v, path, 'PartitionColumn', [{ name: 'name' }, { name: 'data_type' }]);
  const type = readPartitionDataType(ctx, dataType, typePath);
  if (type === undefined) return undefined;
  return { name, data_type: displayDataType(type), type };
};

export const readPartitionColumns = readSeq(readPartitionColumn);
