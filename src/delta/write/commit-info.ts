/**
 * `commitInfo`, first line of every commit, in delta-rs's shape: `timestamp`, `operation`,
 * `operationParameters` (values always strings; others JSON-encoded), `readVersion`,
 * `operationMetrics`, `engineInfo`, `clientVersion`. The destination's `metadata` (custom commit
 * metadata) is flattened into the top level; of the reserved keys, `userId`, `userName`,
 * `userMetadata` and `clientVersion` are taken from it, the others are set by the writer.
 */
import { VERSION } from '../../core/version.js';
import type { CommitInfo } from '../actions.js';

const WRITER_KEYS = new Set(['timestamp', 'operation', 'operationParameters', 'readVersion', 'isolationLevel', 'isBlindAppend', 'engineInfo', 'operationMetrics']);

export interface CommitInfoInput {
  operation: string;
  parameters: Record<string, unknown>;
  metrics: Record<string, number>;
  /** The version the write was planned on; absent when it creates the table. */
  readVersion?: number;
  custom?: Record<string, string>;
}

/** Custom metadata keys the writer sets itself (and so ignores in `metadata`). */
export function ignoredCustomKeys(custom: Record<string, string>): string[] {
  return Object.keys(custom).filter((k) => WRITER_KEYS.has(k));
}

export function commitInfo(input: CommitInfoInput, timestamp = Date.now()): CommitInfo {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.parameters)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const info: CommitInfo = {};
  for (const [k, v] of Object.entries(input.custom ?? {})) if (!WRITER_KEYS.has(k)) info[k] = v;
  return {
    timestamp,
    operation: input.operation,
    operationParameters: params,
    ...(input.readVersion !== undefined && input.readVersion >= 0 ? { readVersion: input.readVersion } : {}),
    operationMetrics: input.metrics,
    engineInfo: `aqueducts-executor:${VERSION}`,
    clientVersion: `aqueducts-executor.${VERSION}`,
    ...info,
  };
}
