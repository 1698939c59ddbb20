/**
 * The protocol gate: what this executor can read and write, decided from the `protocol` action
 * (and the column mapping mode) before anything else. What it cannot do correctly is refused with
 * an error naming the table, the version and the feature, never read or written wrongly.
 *
 * Read: reader version 1; 2 without column mapping; 3 when every reader feature is one of
 * timestampNtz, vacuumProtocolCheck (and columnMapping with mode none).
 * Write: the read gate, and writer version ≤ 2, or 7 with writer features among appendOnly,
 * invariants, timestampNtz (plus the reader features above). Writer 3–6 mean CHECK constraints,
 * change data feed, generated columns, column mapping or identity columns.
 */
import type { Metadata, Protocol } from './actions.js';
import { deltaError } from './errors.js';
import type { StructType } from './schema.js';

const READER_FEATURES = new Set(['timestampNtz', 'vacuumProtocolCheck']);
const WRITER_FEATURES = new Set(['appendOnly', 'invariants', 'timestampNtz', 'vacuumProtocolCheck']);

const FEATURE_NAMES: Record<string, string> = {
  deletionVectors: 'deletion vectors (deletionVectors)',
  columnMapping: 'column mapping (columnMapping)',
  v2Checkpoint: 'V2 checkpoints (v2Checkpoint)',
  typeWidening: 'type widening (typeWidening)',
  'typeWidening-preview': 'type widening (typeWidening-preview)',
  variantType: 'the variant type (variantType)',
  'variantType-preview': 'the variant type (variantType-preview)',
  catalogManaged: 'catalog-managed commits (catalogManaged)',
  changeDataFeed: 'change data feed (changeDataFeed)',
  checkConstraints: 'CHECK constraints (checkConstraints)',
  generatedColumns: 'generated columns (generatedColumns)',
  identityColumns: 'identity columns (identityColumns)',
  rowTracking: 'row tracking (rowTracking)',
  domainMetadata: 'domain metadata (domainMetadata)',
  inCommitTimestamp: 'in-commit timestamps (inCommitTimestamp)',
  clustering: 'clustering (clustering)',
  allowColumnDefaults: 'column defaults (allowColumnDefaults)',
  icebergCompatV1: 'Iceberg compatibility (icebergCompatV1)',
  icebergCompatV2: 'Iceberg compatibility (icebergCompatV2)',
};

function describeFeature(f: string): string {
  return FEATURE_NAMES[f] ?? `the unknown feature "${f}"`;
}

function protocolText(p: Protocol): string {
  return `protocol (${p.minReaderVersion},${p.minWriterVersion})`;
}

function columnMappingMode(m: Metadata | null): string {
  return (m?.configuration['delta.columnMapping.mode'] ?? 'none') || 'none';
}

/** Why this executor cannot read the table, or null when it can. */
export function readProblem(p: Protocol, m: Metadata | null): string | null {
  const mode = columnMappingMode(m);
  if (mode !== 'none') return `column mapping (mode=${mode}) is not supported: the table's ${protocolText(p)} needs it to read the data files`;
  switch (p.minReaderVersion) {
    case 1:
    case 2:
      return null;
    case 3: {
      const unknown = (p.readerFeatures ?? []).filter((f) => !READER_FEATURES.has(f) && f !== 'columnMapping');
      if (unknown.length) return `unsupported reader features: ${unknown.join(', ')} (${unknown.map(describeFeature).join('; ')}; ${protocolText(p)})`;
      return null;
    }
    default:
      return `reader version ${p.minReaderVersion} is not supported (${protocolText(p)}); this executor reads versions 1 to 3`;
  }
}

/** Why this executor cannot write to the table, or null when it can. */
export function writeProblem(p: Protocol, m: Metadata | null): string | null {
  const read = readProblem(p, m);
  if (read) return read;
  if (p.minWriterVersion <= 2) return null;
  if (p.minWriterVersion === 7) {
    const unknown = (p.writerFeatures ?? []).filter((f) => !WRITER_FEATURES.has(f) && f !== 'columnMapping');
    if (unknown.length) return `unsupported writer features: ${unknown.join(', ')} (${unknown.map(describeFeature).join('; ')}; ${protocolText(p)})`;
    return null;
  }
  const what: Record<number, string> = {
    3: 'CHECK constraints',
    4: 'change data feed and generated columns',
    5: 'column mapping',
    6: 'identity columns',
  };
  return `writer version ${p.minWriterVersion} (${what[p.minWriterVersion] ?? 'an unknown writer version'}) is not supported for writing (${protocolText(p)})`;
}

export function checkReadable(table: string, version: number, p: Protocol, m: Metadata | null): void {
  const problem = readProblem(p, m);
  if (problem) throw deltaError('AQ_DELTA_UNSUPPORTED', table, version, problem);
}

export function checkWritable(table: string, version: number, p: Protocol, m: Metadata | null, schema: StructType | null): void {
  const problem = writeProblem(p, m);
  if (problem) throw deltaError('AQ_DELTA_UNSUPPORTED', table, version, problem);
  const invariant = schema?.fields.find((f) => f.metadata['delta.invariants'] !== undefined);
  if (invariant) {
    throw deltaError('AQ_DELTA_UNSUPPORTED', table, version, `column "${invariant.name}" has a column invariant (delta.invariants), which this executor cannot evaluate, so it does not write to this table`);
  }
  const generated = schema?.fields.find((f) => f.metadata['delta.generationExpression'] !== undefined || f.metadata['delta.identity.start'] !== undefined);
  if (generated) throw deltaError('AQ_DELTA_UNSUPPORTED', table, version, `column "${generated.name}" is generated or an identity column, which this executor does not write`);
}

// ---------------------------------------------------------------- table properties of a new table

/** Properties that would turn on what this executor does not implement. */
const REFUSED_PROPERTIES: Record<string, (v: string) => string | null> = {
  'delta.enableChangeDataFeed': (v) => (v.toLowerCase() === 'true' ? 'change data feed' : null),
  'delta.enableDeletionVectors': (v) => (v.toLowerCase() === 'true' ? 'deletion vectors' : null),
  'delta.columnMapping.mode': (v) => (v.toLowerCase() === 'none' ? null : `column mapping (mode=${v})`),
  'delta.enableInCommitTimestamps': (v) => (v.toLowerCase() === 'true' ? 'in-commit timestamps' : null),
  'delta.enableRowTracking': (v) => (v.toLowerCase() === 'true' ? 'row tracking' : null),
  'delta.enableTypeWidening': (v) => (v.toLowerCase() === 'true' ? 'type widening' : null),
  'delta.checkpointPolicy': (v) => (v.toLowerCase() === 'v2' ? 'V2 checkpoints' : null),
  'delta.minReaderVersion': () => 'an explicit protocol version',
  'delta.minWriterVersion': () => 'an explicit protocol version',
};

/** Problems with `table_properties` for a table this executor creates. */
export function tablePropertyProblems(props: Record<string, string | null>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('delta.feature.')) {
      out.push(`table property "${k}" would enable a table feature explicitly; this executor chooses the protocol itself`);
      continue;
    }
    const check = REFUSED_PROPERTIES[k];
    const what = check && v !== null ? check(v) : null;
    if (what) out.push(`table property "${k}" would turn on ${what}, which this executor does not implement`);
    if (k === 'delta.checkpointInterval' && v !== null && !/^[1-9]\d*$/.test(v.trim())) out.push(`table property "delta.checkpointInterval" must be a positive integer, not "${v}"`);
    if (k === 'delta.appendOnly' && v !== null && !/^(true|false)$/i.test(v.trim())) out.push(`table property "delta.appendOnly" must be true or false, not "${v}"`);
  }
  return out;
}
