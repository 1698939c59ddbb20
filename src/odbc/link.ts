/**
 * One ODBC connection for one source or destination: opened with the settings this executor
 * relies on, bound to the run's AbortSignal, closed whatever happens.
 *
 * Cancellation: while a driver call runs, an abort calls SQLCancel on the connection's executing
 * statements, repeatedly until the call returns (an abort that lands just before the statement
 * starts would otherwise be lost). A connection attempt cannot be cancelled; it is abandoned and
 * closed as soon as it completes.
 */
import { cancelled, isExecutorError, type ErrorCode } from '../core/errors.js';
import { prepareConnectionString } from './connection-string.js';
import { loadOdbc, type OdbcConnection } from './driver.js';
import { odbcFailure } from './diagnostics.js';

/** Seconds a connection attempt may take (SQL_ATTR_LOGIN_TIMEOUT). */
export const LOGIN_TIMEOUT_S = 30;
const CANCEL_REPEAT_MS = 50;

export interface OdbcLink {
  readonly conn: OdbcConnection;
  readonly subject: string;
  readonly code: ErrorCode;
  /** Secret values of the connection string, for redaction. */
  readonly secrets: string[];
  readonly postgres: boolean;
  /** Runs a driver call that the signal may cancel; rejects with AQ_CANCELLED once aborted. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Runs a call, turning a driver failure into an error naming the subject and the action. */
  call<T>(action: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface LinkOptions {
  subject: string;
  code: ErrorCode;
  connectionString: string;
  /** Rows per fetch (psqlODBC's Fetch setting). */
  fetchRows: number;
  /** psqlODBC's TextAsLongVarchar, unless the connection string or DSN sets it (see connection-string.ts). */
  textAsLong?: boolean;
  signal: AbortSignal;
}

function abandonOnAbort<T>(work: Promise<T>, signal: AbortSignal, cleanup: (late: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(cancelled());
      work.then(cleanup, () => {});
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); if (signal.aborted) cleanup(v); else resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

export async function openLink(opts: LinkOptions): Promise<OdbcLink> {
  const { subject, code, signal } = opts;
  const odbc = await loadOdbc(subject, code);
  const prepared = prepareConnectionString(opts.connectionString, { fetchRows: opts.fetchRows, textAsLong: opts.textAsLong });
  if (signal.aborted) throw cancelled();
  let conn: OdbcConnection;
  try {
    const connecting = odbc.connect({ connectionString: prepared.connectionString, fetchArray: true, loginTimeout: LOGIN_TIMEOUT_S });
    conn = await abandonOnAbort(connecting, signal, (late) => { late.close().catch(() => {}); });
  } catch (e) {
    if (isExecutorError(e)) throw e;
    throw odbcFailure(code, subject, 'could not connect', e, prepared.secrets);
  }

  let closed = false;
  const link: OdbcLink = {
    conn,
    subject,
    code,
    secrets: prepared.secrets,
    postgres: prepared.postgres,
    async run(work) {
      if (signal.aborted) throw cancelled();
      let repeat: NodeJS.Timeout | undefined;
      const cancel = () => {
        try { conn.cancel().catch(() => {}); } catch { /* closed */ }
      };
      const onAbort = () => {
        cancel();
        repeat = setInterval(cancel, CANCEL_REPEAT_MS);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await work();
      } catch (e) {
        if (signal.aborted) throw cancelled(e);
        throw e;
      } finally {
        signal.removeEventListener('abort', onAbort);
        clearInterval(repeat);
      }
    },
    async call(action, work) {
      try {
        return await link.run(work);
      } catch (e) {
        if (isExecutorError(e)) throw e;
        throw odbcFailure(code, subject, action, e, prepared.secrets);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try { await conn.close(); } catch { /* the connection is gone either way */ }
    },
  };
  if (prepared.postgres) {
    // Timestamps cross the boundary as text in UTC: psqlODBC drops the offset of a timestamp
    // parameter and reads it in the session's time zone.
    try {
      await link.call('could not set the session time zone to UTC', () => conn.query("SET TIME ZONE 'UTC'"));
    } catch (e) {
      await link.close();
      throw e;
    }
  }
  return link;
}
