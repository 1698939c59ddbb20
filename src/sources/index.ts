/** Registers one source in the run's session, as a table or view named after the source. */
import { ExecutorError } from '../core/errors.js';
import type { RunLogLevel } from '../core/run-events.js';
import type { Source } from '../pipeline/types.js';
import type { EngineSession } from '../engine/session.js';
import { interruptible } from '../engine/session.js';
import { registerFileSource } from './file.js';
import { registerOdbcSource } from './odbc.js';
import { registerDeltaSource } from '../delta/index.js';

export async function registerSource(session: EngineSession, source: Source, signal: AbortSignal): Promise<void> {
  const conn = session.main;
  // What a file or Delta source may use of the session: its connection, the files it may read, its spill directory.
  const host = {
    conn,
    allowFile: (p: string) => session.allowFile(p),
    allowDirectory: (p: string) => session.allowDirectory(p),
    spillDir: session.spillDir,
    signal,
    report: (level: RunLogLevel, message: string) => session.report(level, message),
  };
  await interruptible(conn, signal, async () => {
    switch (source.type) {
      case 'file':
      case 'directory':
        return registerFileSource(host, source);
      case 'in_memory': {
        const r = await conn.runAndReadAll(
          "SELECT 1 FROM duckdb_tables() WHERE table_name = $1 UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = $1 AND NOT internal",
          [source.name],
        );
        if (r.currentRowCount === 0) {
          throw new ExecutorError(
            'AQ_SOURCE_FAILED',
            `source "${source.name}": in_memory table "${source.name}" does not exist in this run's session (an in_memory source can only refer to a table registered by the program embedding the engine)`,
          );
        }
        return;
      }
      case 'odbc':
        return registerOdbcSource(conn, source, signal, (level, message) => session.report(level, message));
      case 'delta':
        await registerDeltaSource(host, source);
        return;
    }
  });
}
