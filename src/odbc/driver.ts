/**
 * The `odbc` package (node-odbc over unixODBC) is an optional dependency: it compiles against
 * unixODBC's headers, so it may be missing. It is loaded lazily, the first time a pipeline uses
 * ODBC, and a failure to load it becomes one clear error telling the operator what to install.
 *
 * Only the small part of its API this project uses is typed here, so the project type-checks
 * without the package.
 */
import { ExecutorError, type ErrorCode } from '../core/errors.js';

/** Column metadata from SQLDescribeCol. */
export interface OdbcColumn {
  name: string;
  /** The ODBC SQL type code (SQL_INTEGER = 4, ...). */
  dataType: number;
  dataTypeName?: string;
  columnSize: number;
  decimalDigits: number;
  nullable: boolean;
}

/** One fetched block: rows as arrays (the connection is opened with `fetchArray`). */
export interface OdbcResult extends Array<unknown[]> {
  columns: OdbcColumn[];
  count: number;
}

export interface OdbcCursor {
  readonly noData: boolean;
  fetch(): Promise<OdbcResult>;
  close(): Promise<void>;
}

/** A parameter value as node-odbc binds it (null → NULL, bigint → SQL_C_SBIGINT, Buffer → binary). */
export type OdbcParam = string | number | bigint | boolean | Buffer | null;

export interface OdbcConnection {
  query(sql: string, params?: OdbcParam[]): Promise<OdbcResult>;
  query(sql: string, options: { cursor: true; fetchSize: number }): Promise<OdbcCursor>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** SQLCancel on the statements currently executing on this connection. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

export interface OdbcModule {
  connect(options: { connectionString: string; fetchArray?: boolean; loginTimeout?: number }): Promise<OdbcConnection>;
}

export type OdbcLoader = () => Promise<OdbcModule>;

const PACKAGE = 'odbc';

const defaultLoader: OdbcLoader = async () => {
  // A variable specifier keeps the compiler from requiring the optional package.
  const mod = (await import(PACKAGE)) as { default?: OdbcModule } & Partial<OdbcModule>;
  const api = (mod.default ?? mod) as OdbcModule;
  if (typeof api.connect !== 'function') throw new Error('the module has no connect()');
  return api;
};

let loader: OdbcLoader = defaultLoader;
let loaded: Promise<OdbcModule> | null = null;

/** Replaces the loader (tests use it to simulate a machine without unixODBC); null restores it. */
export function setOdbcLoader(next: OdbcLoader | null): void {
  loader = next ?? defaultLoader;
  loaded = null;
}

export const INSTALL_HINT =
  'install unixODBC and rebuild the module: `apt-get install unixodbc unixodbc-dev` (plus the database\'s ODBC driver, e.g. odbc-postgresql), then `npm rebuild odbc`';

/** Loads the odbc module once per process; failures are not cached, so a fixed machine recovers. */
export async function loadOdbc(subject: string, code: ErrorCode): Promise<OdbcModule> {
  try {
    loaded ??= loader();
    return await loaded;
  } catch (e) {
    loaded = null;
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new ExecutorError(
      code,
      `${subject}: ODBC is not available on this machine: the optional "odbc" module could not be loaded (${reason}); ${INSTALL_HINT}`,
      { cause: e },
    );
  }
}
