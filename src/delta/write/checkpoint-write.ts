/**
 * Classic checkpoints: every `delta.checkpointInterval` versions (100 by default, as delta-rs),
 * the state at that version written as `_delta_log/<version>.checkpoint.parquet` (the V1 schema of
 * the Delta protocol's "Checkpoint Schema": one struct column per action, partition values and
 * configuration as MAP(VARCHAR, VARCHAR), `add.stats` as JSON text), then `_last_checkpoint`.
 * DuckDB writes the parquet from newline-delimited JSON of the actions. A checkpoint is an
 * optimisation: failing to write one never fails the write that triggered it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Snapshot } from '../snapshot.js';
import { versionName } from '../paths.js';
import { quoteLiteral } from '../sql.js';
import type { WriteTarget } from './data-files.js';

const DEFAULT_INTERVAL = 100;
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

const MAP = 'MAP(VARCHAR, VARCHAR)';
const COLUMNS: Record<string, string> = {
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP})`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`,
  metaData: `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`,
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
};

export function checkpointInterval(configuration: Record<string, string | null>): number {
  const n = Number(configuration['delta.checkpointInterval'] ?? DEFAULT_INTERVAL);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_INTERVAL;
}

export function checkpointDue(version: number, configuration: Record<string, string | null>): boolean {
  return version > 0 && version % checkpointInterval(configuration) === 0;
}

/** `interval 7 days`, `interval 1 week`, `interval 36 hours`: milliseconds, or the default. */
function retentionMs(configuration: Record<string, string | null>): number {
  const m = /^\s*interval\s+(\d+)\s+(second|minute|hour|day|week)s?\s*$/i.exec(configuration['delta.deletedFileRetentionDuration'] ?? '');
  if (!m) return DEFAULT_TOMBSTONE_RETENTION_MS;
  const unit = { second: 1e3, minute: 60e3, hour: 3600e3, day: 86400e3, week: 604800e3 }[m[2]!.toLowerCase() as 'day'];
  return Number(m[1]) * unit;
}

/** The checkpoint's rows, one action each. */
export function checkpointRows(s: Snapshot, now = Date.now()): Array<Record<string, unknown>> {
  const { protocol, metadata } = s;
  const rows: Array<Record<string, unknown>> = [];
  rows.push({
    protocol: {
      minReaderVersion: protocol.minReaderVersion,
      minWriterVersion: protocol.minWriterVersion,
      ...(protocol.minReaderVersion >= 3 ? { readerFeatures: protocol.readerFeatures ?? [] } : {}),
      ...(protocol.minWriterVersion >= 7 ? { writerFeatures: protocol.writerFeatures ?? [] } : {}),
    },
  });
  rows.push({ metaData: { ...metadata, format: { provider: metadata.format.provider, options: metadata.format.options ?? {} } } });
  for (const t of s.txns.values()) rows.push({ txn: t });
  for (const a of s.files.values()) {
    rows.push({ add: { path: a.path, partitionValues: a.partitionValues, size: a.size, modificationTime: a.modificationTime, dataChange: false, stats: a.stats ?? null, tags: a.tags ?? null } });
  }
  const oldest = now - retentionMs(metadata.configuration);
  for (const r of s.tombstones.values()) {
    if ((r.deletionTimestamp ?? 0) < oldest) continue;
    rows.push({
      remove: {
        path: r.path, deletionTimestamp: r.deletionTimestamp ?? null, dataChange: false,
        extendedFileMetadata: r.extendedFileMetadata ?? null, partitionValues: r.partitionValues ?? null, size: r.size ?? null,
      },
    });
  }
  return rows;
}

/** Writes the checkpoint of `snapshot` and `_last_checkpoint`. */
export async function writeCheckpoint(t: WriteTarget, snapshot: Snapshot): Promise<void> {
  const dir = path.join(t.stagingRoot, `_aqueducts_checkpoint_${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  try {
    const rows = checkpointRows(snapshot);
    const ndjson = path.join(dir, 'actions.ndjson');
    await writeFile(ndjson, rows.map((r) => JSON.stringify(r)).join('\n'));
    const parquet = path.join(dir, 'checkpoint.parquet');
    const columns = `{${Object.entries(COLUMNS).map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`).join(', ')}}`;
    await t.run(() =>
      t.conn.run(
        `COPY (SELECT ${Object.keys(COLUMNS).map((c) => `"${c}"`).join(', ')} FROM read_json(${quoteLiteral(ndjson)}, format = 'newline_delimited', columns = ${columns})) TO ${quoteLiteral(parquet)} (FORMAT parquet, COMPRESSION snappy)`,
      ),
    );
    const size = (await stat(parquet)).size;
    const key = `${t.loc.log}${versionName(snapshot.version)}.checkpoint.parquet`;
    await t.loc.store.write(key, createReadStream(parquet), { signal: t.signal, size, contentType: 'application/vnd.apache.parquet' });
    const last = JSON.stringify({ version: snapshot.version, size: rows.length, sizeInBytes: size, numOfAddFiles: snapshot.files.size });
    await t.loc.store.write(`${t.loc.log}_last_checkpoint`, Readable.from([Buffer.from(last)]), { signal: t.signal, size: Buffer.byteLength(last) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
