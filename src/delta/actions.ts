/**
 * Delta log actions (the Delta protocol's "Actions"): their types, parsing a commit file (newline-delimited
 * JSON, one action per line, each line an object with one key) and writing one. Unknown actions
 * (`cdc`, `domainMetadata`, ...) and unknown fields are kept as they are and otherwise ignored.
 */
import { deltaError } from './errors.js';

export interface Protocol {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[] | null;
  writerFeatures?: string[] | null;
}

export interface Metadata {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options?: Record<string, string> | null };
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string | null>;
}

export type PartitionValues = Record<string, string | null>;

export interface AddFile {
  /** As logged: a relative URI (percent-encoded) or an absolute one. */
  path: string;
  partitionValues: PartitionValues;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: unknown;
  [field: string]: unknown;
}

export interface RemoveFile {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: PartitionValues | null;
  size?: number | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: unknown;
  [field: string]: unknown;
}

export interface Txn {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export type CommitInfo = Record<string, unknown>;

export type Action =
  | { kind: 'protocol'; protocol: Protocol }
  | { kind: 'metaData'; metaData: Metadata }
  | { kind: 'add'; add: AddFile }
  | { kind: 'remove'; remove: RemoveFile }
  | { kind: 'txn'; txn: Txn }
  | { kind: 'commitInfo'; commitInfo: CommitInfo }
  | { kind: 'other'; name: string; value: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a malformed action was found, for messages. */
export interface ActionSource {
  table: string;
  version: number;
  /** e.g. `commit 00000000000000000004.json line 3` */
  where: string;
}

function bad(src: ActionSource, what: string): never {
  throw deltaError('AQ_DELTA_INVALID_LOG', src.table, src.version, `${src.where}: ${what}`);
}

function requireString(o: Record<string, unknown>, field: string, action: string, src: ActionSource): string {
  const v = o[field];
  if (typeof v !== 'string') bad(src, `${action}.${field} must be a string`);
  return v;
}

function requireNumber(o: Record<string, unknown>, field: string, action: string, src: ActionSource): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(src, `${action}.${field} must be a number`);
  return v;
}

function partitionValuesOf(v: unknown, action: string, src: ActionSource, required: boolean): PartitionValues | null {
  if (v === undefined || v === null) {
    if (required) bad(src, `${action}.partitionValues is missing`);
    return null;
  }
  if (!isObject(v)) bad(src, `${action}.partitionValues must be an object`);
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && typeof x !== 'string') bad(src, `${action}.partitionValues.${k} must be a string or null`);
  }
  return v as PartitionValues;
}

/** Checks the fields readers rely on and returns the typed action; other fields pass through. */
export function actionFrom(name: string, value: unknown, src: ActionSource): Action {
  if (!isObject(value)) {
    if (['protocol', 'metaData', 'add', 'remove', 'txn', 'commitInfo'].includes(name)) bad(src, `${name} must be an object`);
    return { kind: 'other', name, value };
  }
  switch (name) {
    case 'protocol':
      requireNumber(value, 'minReaderVersion', name, src);
      requireNumber(value, 'minWriterVersion', name, src);
      for (const f of ['readerFeatures', 'writerFeatures']) {
        const x = value[f];
        if (x !== undefined && x !== null && !(Array.isArray(x) && x.every((e) => typeof e === 'string'))) bad(src, `protocol.${f} must be a list of strings`);
      }
      return { kind: 'protocol', protocol: value as unknown as Protocol };
    case 'metaData': {
      requireString(value, 'schemaString', name, src);
      const pc = value.partitionColumns ?? [];
      if (!Array.isArray(pc) || !pc.every((c) => typeof c === 'string')) bad(src, 'metaData.partitionColumns must be a list of strings');
      const configuration = value.configuration ?? {};
      if (!isObject(configuration)) bad(src, 'metaData.configuration must be an object');
      const format = isObject(value.format) ? value.format : { provider: 'parquet' };
      return { kind: 'metaData', metaData: { ...value, partitionColumns: pc, configuration, format } as unknown as Metadata };
    }
    case 'add': {
      requireString(value, 'path', name, src);
      requireNumber(value, 'size', name, src);
      const partitionValues = partitionValuesOf(value.partitionValues, name, src, true)!;
      const stats = value.stats;
      if (stats !== undefined && stats !== null && typeof stats !== 'string') bad(src, 'add.stats must be a string');
      return { kind: 'add', add: { ...value, partitionValues, modificationTime: Number(value.modificationTime ?? 0), dataChange: value.dataChange !== false } as AddFile };
    }
    case 'remove': {
      requireString(value, 'path', name, src);
      partitionValuesOf(value.partitionValues, name, src, false);
      return { kind: 'remove', remove: { ...value, dataChange: value.dataChange !== false } as RemoveFile };
    }
    case 'txn':
      requireString(value, 'appId', name, src);
      requireNumber(value, 'version', name, src);
      return { kind: 'txn', txn: value as unknown as Txn };
    case 'commitInfo':
      return { kind: 'commitInfo', commitInfo: value };
    default:
      return { kind: 'other', name, value };
  }
}

/** Parses a commit file: one JSON object with one key per non-empty line. */
export function parseCommit(text: string, table: string, version: number, file: string): Action[] {
  const out: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const src: ActionSource = { table, version, where: `${file} line ${i + 1}` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      bad(src, `not valid JSON (${(e as Error).message})`);
    }
    if (!isObject(parsed)) bad(src, 'an action must be a JSON object');
    const keys = Object.keys(parsed);
    if (keys.length !== 1) bad(src, `an action must have exactly one key, found ${keys.length === 0 ? 'none' : keys.join(', ')}`);
    out.push(actionFrom(keys[0]!, parsed[keys[0]!], src));
  }
  return out;
}

/** The JSON line of one action. */
export function actionLine(a: Action): string {
  switch (a.kind) {
    case 'protocol':
      return JSON.stringify({ protocol: a.protocol });
    case 'metaData':
      return JSON.stringify({ metaData: a.metaData });
    case 'add':
      return JSON.stringify({ add: a.add });
    case 'remove':
      return JSON.stringify({ remove: a.remove });
    case 'txn':
      return JSON.stringify({ txn: a.txn });
    case 'commitInfo':
      return JSON.stringify({ commitInfo: a.commitInfo });
    case 'other':
      return JSON.stringify({ [a.name]: a.value });
  }
}

/** A commit file's text: one action per line, `\n`-separated. */
export function commitText(actions: Action[]): string {
  return actions.map(actionLine).join('\n');
}

export const isAdd = (a: Action): a is Extract<Action, { kind: 'add' }> => a.kind === 'add';
export const isRemove = (a: Action): a is Extract<Action, { kind: 'remove' }> => a.kind === 'remove';
