/**
 * The one error registry. Every error the programs raise on purpose carries a stable code from
 * here (never reused, never renumbered) and a message that names the thing at fault; every code
 * is documented in docs/operations.md (a test checks it). `reason` is the protocol's
 * `execution_error.reason` for codes that end or refuse an execution, null for the others.
 * `toExecutorError` converts anything else at a boundary.
 */

export const ErrorCodes = {
  /** The definition could not be read, parsed or validated. */
  AQ_INVALID_PIPELINE: { reason: 'invalid_pipeline', doc: 'The pipeline definition is invalid (syntax, structure, parameters or stage SQL).' },
  /** `${name}` parameters left without a value. */
  AQ_MISSING_PARAMETERS: { reason: 'invalid_pipeline', doc: 'Template parameters were referenced but not given.' },
  /** A file extension other than .json/.yml/.yaml/.toml. */
  AQ_UNSUPPORTED_FORMAT: { reason: 'invalid_pipeline', doc: 'The definition file extension is not .json, .yml, .yaml or .toml.' },
  /** Stage SQL that is not a single read-only query. */
  AQ_STAGE_SQL_REJECTED: { reason: 'invalid_pipeline', doc: 'A stage query is not a single read-only query, or does not parse.' },
  /** A source could not be registered. */
  AQ_SOURCE_FAILED: { reason: 'source', doc: 'A source failed to register (missing file, bad format, unreachable store).' },
  /** A stage query failed while running. */
  AQ_STAGE_FAILED: { reason: 'stage', doc: 'A stage query failed while running.' },
  /** The destination could not be written. */
  AQ_DESTINATION_FAILED: { reason: 'destination', doc: 'Writing the destination failed; nothing was left half written.' },
  /** A remote pipeline named a local path outside the executor's allowed roots. */
  AQ_PATH_NOT_ALLOWED: { reason: 'invalid_pipeline', doc: 'A location of a remote run lies outside the directories the executor allows (its data root and --allow-path), or inside its spill directory; nothing was read or written.' },
  /** A directory destination would delete what it did not write. */
  AQ_DESTINATION_REFUSED: { reason: 'destination', doc: 'A directory destination would replace a directory holding more than a dataset, the working directory or the data root (or an ancestor), or an input of the run; nothing was written or deleted.' },
  /** The run needed more memory than its limit allows. */
  AQ_OUT_OF_MEMORY: { reason: 'memory', doc: 'The run exceeded its memory limit even with spilling.' },
  /** The run went past the executor's --max-run-time. */
  AQ_RUN_TIMEOUT: { reason: 'timeout', doc: 'The run took longer than the executor\'s maximum run time (--max-run-time) and was cancelled; its destination was left as it was.' },
  /** Too few free file descriptors to open the run's engine. */
  AQ_TOO_MANY_OPEN_FILES: { reason: 'busy', doc: 'The executor had too few free file descriptors to start the run (too many connections or open files); the run did not start, nothing was read or written.' },
  /** A feature that parses but is not implemented by this executor yet. */
  AQ_NOT_SUPPORTED: { reason: 'invalid_pipeline', doc: 'The pipeline uses a source or destination kind this executor does not support yet.' },
  /** The run was cancelled. */
  AQ_CANCELLED: { reason: 'cancelled', doc: 'The run was cancelled.' },
  /** Anything unexpected. */
  AQ_INTERNAL: { reason: 'internal', doc: 'An unexpected internal error.' },
  // Requests refused or answered without running (execution_error replies that are not a run's failure)
  /** No room: the executor runs one execution at a time and its queue is full (or it queues none). */
  AQ_BUSY: { reason: 'busy', doc: 'The executor (or, through an orchestrator, the fleet) is busy and its queue is full; the request was not accepted.' },
  /** A draining executor accepts nothing new, and ends what was queued. */
  AQ_DRAINING: { reason: 'busy', doc: 'The executor is draining (shutting down): a new request is refused, and a queued execution ends without running.' },
  /** A cancel of an id that is not queued or running. */
  AQ_UNKNOWN_EXECUTION: { reason: 'unknown_execution', doc: 'A cancel named an execution that is unknown or already finished (or it finished before the cancel took effect).' },
  /** A request frame that could not be used as it stands. */
  AQ_INVALID_REQUEST: { reason: 'invalid_pipeline', doc: 'An execution_request could not be used: its execution_id is not a UUID, or it has no pipeline.' },
  /** An orchestrator's executor disappeared with the execution. */
  AQ_EXECUTOR_LOST: { reason: 'executor_lost', doc: 'The executor running the execution disconnected and did not come back within the grace period (orchestrator).' },
  // Connections and programs (never an execution's outcome)
  /** A frame that is not a usable message. */
  AQ_PROTOCOL_ERROR: { reason: null, doc: 'A frame was not valid JSON, not a JSON object, or not a known message type; answered with protocol_error (protocol 2) or logged, and the connection stays open.' },
  /** A missing or wrong key. */
  AQ_AUTH_FAILED: { reason: null, doc: 'The X-API-Key of a WebSocket upgrade or API request was missing or wrong: HTTP 401 {"error":"Authentication failed"} before anything else happens.' },
  /** An address made more authentication attempts than its budget allows. */
  AQ_AUTH_RATE_LIMITED: { reason: null, doc: 'An address made more authentication attempts than allowed: HTTP 429 {"error":"Too many authentication attempts"} with Retry-After, without checking the key.' },
  /** A connection beyond the server's limits. */
  AQ_TOO_MANY_CONNECTIONS: { reason: null, doc: 'A connection was refused because the server already holds --max-connections connections, or --max-pending-connections that have not authenticated yet: HTTP 503 naming the limit.' },
  /** An orchestrator refused an executor's registration. */
  AQ_REGISTRATION_REFUSED: { reason: null, doc: 'The orchestrator refused a managed executor (wrong secret, malformed register_executor, or an executor_id already connected); the executor retries with backoff.' },
  /** Invalid flags or environment variables. */
  AQ_CONFIG_INVALID: { reason: null, doc: 'A server program\'s configuration is invalid; it prints one line naming the flag or variable and exits 2.' },
  /** The CLI was called wrongly. */
  AQ_USAGE: { reason: null, doc: 'The aqueducts CLI was called with a missing or invalid flag or argument; it exits 2.' },
  /** The CLI could not reach an executor, or lost it. */
  AQ_EXECUTOR_UNREACHABLE: { reason: null, doc: 'The aqueducts CLI could not connect to the executor (refused, timed out, TLS not trusted, key refused) or lost the connection before the outcome; it exits 1.' },
  // Delta Lake
  /** A Delta table needs what this executor does not implement, or the destination asks for it. */
  AQ_DELTA_UNSUPPORTED: {
    reason: 'invalid_pipeline',
    doc: 'The Delta table needs a protocol feature this executor does not implement (deletion vectors, column mapping, V2 checkpoints, an unknown reader or writer feature), or table_properties would turn one on; the table is refused, never read or written wrongly.',
  },
  /** No Delta table at the location, or its log cannot be read. */
  AQ_DELTA_INVALID_LOG: { reason: 'source', doc: 'There is no Delta table at the location, or its transaction log is unreadable (a commit that is not valid JSON, a checkpoint that cannot be read).' },
  /** The version or timestamp asked for cannot be reconstructed from the log. */
  AQ_DELTA_VERSION_NOT_AVAILABLE: {
    reason: 'source',
    doc: 'The Delta version or timestamp asked for cannot be read: later than the latest version, before the first commit, or commits missing (cleaned up, or versions not contiguous).',
  },
  /** The rows to write do not fit the Delta table's schema. */
  AQ_DELTA_SCHEMA_MISMATCH: { reason: 'destination', doc: 'The rows to write do not fit the Delta table (a column missing, extra, of another type, or null where the table forbids it).' },
  /** Concurrent writers kept committing conflicting changes. */
  AQ_DELTA_COMMIT_CONFLICT: { reason: 'destination', doc: 'A concurrent commit conflicted with this write (it removed files this write read or removes, changed the metadata, or added rows this write replaces) and retrying did not resolve it; nothing was committed.' },
  /** The store cannot create commit files atomically. */
  AQ_DELTA_UNSAFE_COMMIT: { reason: 'destination', doc: 'The object store does not honour conditional writes, so concurrent Delta commits could overwrite each other; writing needs an explicit opt-in (aws_s3_allow_unsafe_rename).' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** One finding about a definition: where it is and what is wrong. */
export interface Diagnostic {
  /** Path in the document, e.g. `sources[1].format.options.delimiter` ('' for the root). */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === '' ? '' : d.path;
  const pos = d.line !== undefined ? ` (line ${d.line}, column ${d.column ?? 1})` : '';
  return where ? `${where}${pos}: ${d.message}` : `${d.message}${pos}`;
}

export class ExecutorError extends Error {
  readonly code: ErrorCode;
  readonly diagnostics: Diagnostic[];
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; diagnostics?: Diagnostic[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExecutorError';
    this.code = code;
    this.diagnostics = options.diagnostics ?? [];
  }
  /** The protocol's `execution_error.reason` for this error (null: not about an execution). */
  get reason(): string | null {
    return ErrorCodes[this.code].reason;
  }
}

export function isExecutorError(e: unknown): e is ExecutorError {
  return e instanceof ExecutorError;
}

/** Converts anything thrown into an ExecutorError (unknown errors become AQ_INTERNAL). */
export function toExecutorError(e: unknown, fallback: ErrorCode = 'AQ_INTERNAL', prefix?: string): ExecutorError {
  if (e instanceof ExecutorError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new ExecutorError(fallback, prefix ? `${prefix}: ${msg}` : msg, { cause: e });
}

/** The error a cancelled operation ends with (the run was cancelled while it was in progress). */
export function cancelled(cause?: unknown): ExecutorError {
  return new ExecutorError('AQ_CANCELLED', 'the run was cancelled', { cause });
}
