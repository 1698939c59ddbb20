/**
 * DuckDB's parser for `aqueducts validate`, through @duckdb/node-bindings alone: a bare in-memory
 * instance that answers `SERIALIZE_SQL` (sql/check.ts) for one text at a time. Runs go through
 * @duckdb/node-api (session.ts); validation needs one string back per stage, and loading the
 * node-api layer (about 180 modules) would more than double the time `validate` takes
 * (docs/architecture.md, "Start-up").
 *
 * The instance has no compatibility layer: `json_serialize_sql` parses with a parser of its own,
 * with default options, that no setting, macro or function of the instance reaches, so the
 * verdicts are those of a run's checks (test/unit/engine/sql-parser.test.ts compares them).
 */
import { createRequire } from 'node:module';
import type * as Bindings from '@duckdb/node-bindings';
import { SERIALIZE_SQL } from './sql/check.js';

const duckdb = createRequire(import.meta.url)('@duckdb/node-bindings') as typeof Bindings;

/** A duckdb_string_t: 16 bytes, the length first; up to 12 bytes inline, otherwise a pointer at offset 8. */
const STRING_SIZE = 16;
const INLINE_MAX = 12;
const decoder = new TextDecoder();

export interface SqlParser {
  /** `SERIALIZE_SQL` for `sql`: the parser's JSON answer. */
  serialize(sql: string): Promise<string>;
  /** Closes the instance; later calls do nothing. */
  close(): void;
}

/** Opens the instance with the options the engine's other checks use (no external access, no extension installs). */
export async function openSqlParser(): Promise<SqlParser> {
  const config = duckdb.create_config();
  duckdb.set_config(config, 'enable_external_access', 'false');
  duckdb.set_config(config, 'autoinstall_known_extensions', 'false');
  const db = await duckdb.open(':memory:', config);
  let connection: Bindings.Connection | undefined;
  let prepared: Bindings.PreparedStatement | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (prepared) duckdb.destroy_prepare_sync(prepared);
    if (connection) duckdb.disconnect_sync(connection);
    duckdb.close_sync(db);
  };
  try {
    connection = await duckdb.connect(db);
    prepared = await duckdb.prepare(connection, SERIALIZE_SQL);
  } catch (e) {
    close();
    throw e;
  }
  const statement = prepared;
  const answer = async (sql: string): Promise<string> => {
    duckdb.bind_varchar(statement, 1, sql);
    const result = await duckdb.execute_prepared(statement);
    const chunk = await duckdb.fetch_chunk(result);
    if (!chunk || duckdb.data_chunk_get_size(chunk) < 1) throw new Error('the parser returned no row');
    const data = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 0), STRING_SIZE);
    const length = new DataView(data.buffer, data.byteOffset, STRING_SIZE).getUint32(0, true);
    const bytes = length <= INLINE_MAX
      ? new Uint8Array(data.buffer, data.byteOffset + 4, length)
      : duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + 8, length);
    return decoder.decode(bytes);
  };
  // One prepared statement: calls take turns, so a binding is never replaced before its answer.
  let last: Promise<unknown> = Promise.resolve();
  return {
    close,
    serialize(sql) {
      const next = last.then(() => answer(sql), () => answer(sql));
      last = next;
      return next;
    },
  };
}
