/**
 * Driver diagnostics for users: node-odbc rejects with an error whose `odbcErrors` holds the
 * driver's records (SQLSTATE, native code, message). Messages name the source or destination,
 * say what was being done, and show each record as `SQLSTATE xxxxx: message`, with secrets
 * removed (the exact password values of the connection string, then the generic patterns).
 */
import { ExecutorError, type ErrorCode } from '../core/errors.js';
import { Redactor } from '../core/redact.js';

export interface OdbcDiagnostic {
  state: string;
  code: number;
  message: string;
}

export function odbcDiagnostics(e: unknown): OdbcDiagnostic[] {
  const list = (e as { odbcErrors?: unknown } | null)?.odbcErrors;
  if (!Array.isArray(list)) return [];
  return list
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
    .map((d) => ({ state: String(d.state ?? ''), code: Number(d.code ?? 0), message: String(d.message ?? '') }));
}

/** Removes the given secret values and anything that looks like a credential. */
export function redact(text: string, secrets: readonly string[]): string {
  return new Redactor(secrets).redact(text);
}

/** Hints for diagnostics that leave an operator guessing, matched on `SQLSTATE: message`. */
const HINTS: Array<[RegExp, string]> = [
  [/^IM002:/, 'the DSN or driver is not registered with unixODBC (see `odbcinst -q -d` for drivers, `odbcinst -q -s` for DSNs)'],
  [/^01000:.*Can't open lib/, 'the driver is not installed or not registered with unixODBC (see `odbcinst -q -d`)'],
  [/^IM003:/, 'the driver library could not be loaded'],
];

function clean(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** The driver's diagnostic records as one line (falls back to the error's message). */
export function describeOdbcError(e: unknown, secrets: readonly string[]): string {
  const diags = odbcDiagnostics(e);
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const d of diags) {
    const line = d.state ? `SQLSTATE ${d.state}: ${clean(d.message)}` : clean(d.message);
    if (seen.has(line)) continue;
    seen.add(line);
    parts.push(line);
    for (const [re, hint] of HINTS) if (re.test(`${d.state}: ${d.message}`) && !parts.includes(hint)) parts.push(hint);
  }
  if (parts.length === 0) parts.push(clean((e instanceof Error ? e.message : String(e)).replace(/^\[odbc\]\s*/i, '')));
  return redact(parts.join('; '), secrets);
}

export function odbcFailure(code: ErrorCode, subject: string, action: string, e: unknown, secrets: readonly string[]): ExecutorError {
  return new ExecutorError(code, `${subject}: ${action}: ${describeOdbcError(e, secrets)}`, { cause: scrubbedCause(e, secrets) });
}

/**
 * The cause kept on an error must not carry secrets either (loggers serialise causes): a plain
 * Error with the redacted message and diagnostics.
 */
function scrubbedCause(e: unknown, secrets: readonly string[]): Error {
  const err = new Error(redact(e instanceof Error ? e.message : String(e), secrets));
  const diags = odbcDiagnostics(e).map((d) => ({ ...d, message: redact(d.message, secrets) }));
  if (diags.length) Object.assign(err, { odbcErrors: diags });
  return err;
}
