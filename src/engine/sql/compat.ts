/**
 * The DataFusion compatibility layer of a DuckDB instance (docs/sql.md): session settings,
 * macros and JavaScript scalar functions. The fourth layer, the text rewrite, is rewrite.ts and is
 * applied to each stage query.
 *
 * Where each layer lives (measured on DuckDB 1.5.6, @duckdb/node-api 1.5.6-r.1):
 * - settings: `TimeZone`, `integer_division` and `preserve_identifier_case` are per connection,
 *   `default_null_order` is global; applied with `SET GLOBAL` (and a plain `SET` for the running
 *   connection), they hold for this connection and every connection the instance opens later
 *   (settings.ts);
 * - macros: per database (catalog): created in `main` of the connection's current database, they
 *   are visible to every connection of the instance that uses that database;
 * - UDFs: registered in the system catalog, visible to every connection of the instance.
 * So `applySqlCompat` is called once per instance, on its first connection, before
 * `lock_configuration`; connections opened later need only `applyConnectionCompat`, which checks
 * the settings and changes nothing that is already right (any SET fails once configuration is
 * locked).
 *
 * Cost (measured): about 45 ms for all ~110 macros (~250 overloads), sent as one multi-statement
 * text in one transaction (one round trip per macro costs about the same: parsing and binding the
 * bodies is the cost, not the round trips); settings and UDFs take under 1 ms. So an engine
 * session creates none at first (`macros: 'none'`) and, before a run's stages are checked, only
 * those the run's SQL may call (`createMacros` with `macrosCalledBy`, macros.ts): usually none or
 * a few, a fraction of a millisecond each. The SQL compatibility tests install them all.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ExecutorError } from '../../core/errors.js';
import { MACROS_SQL, MACROS_VERSION, macrosSql } from './macros.js';
import { SESSION_SETTINGS, settingsSql } from './settings.js';
import { registerUdfs } from './udfs.js';

export interface CompatOptions {
  /** `all` (the default): every macro; `none`: none yet (see createMacros). */
  macros?: 'all' | 'none';
}

/** Applies settings, macros and UDFs. Idempotent: macros already installed are not recreated. */
export async function applySqlCompat(connection: DuckDBConnection, opts: CompatOptions = {}): Promise<void> {
  try {
    await connection.run(settingsSql());
    if (opts.macros !== 'none') await installMacros(connection);
    registerUdfs(connection);
  } catch (e) {
    throw new ExecutorError('AQ_INTERNAL', `could not set up the SQL compatibility layer: ${firstLine(e)}`, { cause: e });
  }
}

/**
 * For a further connection of an instance `applySqlCompat` was applied to: makes sure its session
 * settings are DataFusion's, setting (for this session only) those that are not.
 */
export async function applyConnectionCompat(connection: DuckDBConnection): Promise<void> {
  const names = SESSION_SETTINGS.map((s) => `CAST(current_setting('${s.name}') AS VARCHAR)`).join(', ');
  const reader = await connection.runAndReadAll(`SELECT ${names}`);
  const row = reader.getRows()[0] ?? [];
  const wrong = SESSION_SETTINGS.filter((s, i) => String(row[i]) !== s.expected);
  if (wrong.length === 0) return;
  try {
    await connection.run(wrong.map((s) => `SET ${s.name} = ${s.sql};`).join('\n'));
  } catch (e) {
    throw new ExecutorError('AQ_INTERNAL', `could not apply the session settings ${wrong.map((s) => s.name).join(', ')}: ${firstLine(e)}`, { cause: e });
  }
}

/** How often to look again when another connection is installing the macros at the same time. */
const INSTALL_ATTEMPTS = 100;
const INSTALL_RETRY_MS = 20;

/**
 * Creates the macros in one transaction, so that they appear all at once. Two connections doing
 * this at the same time collide on the catalog ("write-write conflict"); the loser rolls back and
 * waits for the winner's commit.
 */
async function installMacros(connection: DuckDBConnection): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < INSTALL_ATTEMPTS; attempt++) {
    if (await macrosInstalled(connection)) return;
    try {
      await connection.run(`BEGIN TRANSACTION;\n${MACROS_SQL}\nCOMMIT;`);
      return;
    } catch (e) {
      lastError = e;
      await connection.run('ROLLBACK').catch(() => undefined);
      if (!/conflict/i.test(firstLine(e))) throw e;
      await new Promise((resolve) => setTimeout(resolve, INSTALL_RETRY_MS));
    }
  }
  throw lastError;
}

/** Creates the named macros (macros.ts) in the connection's database, in one transaction. */
export async function createMacros(connection: DuckDBConnection, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  try {
    await connection.run(`BEGIN TRANSACTION;\n${macrosSql(names)}\nCOMMIT;`);
  } catch (e) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw new ExecutorError('AQ_INTERNAL', `could not create the SQL compatibility macros ${names.join(', ')}: ${firstLine(e)}`, { cause: e });
  }
}

async function macrosInstalled(connection: DuckDBConnection): Promise<boolean> {
  try {
    await connection.run(`SELECT main.${MACROS_VERSION}()`);
    return true;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}
