/** A run whose one stage is written to an ODBC destination: its outcome and log lines. */
import { runYaml } from './engine.js';

export interface OdbcWrite { status: string; code?: string; message?: string; logs: string[] }

/** Runs `stageSql` as the one stage and writes it with `destination` (YAML fields) over `connectionString`. */
export async function writeOdbc(connectionString: string, stageSql: string, destination: string, opts: { signal?: AbortSignal } = {}): Promise<OdbcWrite> {
  const logs: string[] = [];
  const r = await runYaml(`
sources: []
stages:
  - - name: result
      query: >
        ${stageSql.replace(/\n/g, '\n        ')}
destination:
  type: odbc
  connection_string: "${connectionString}"
  ${destination.replace(/\n/g, '\n  ')}
`, { cwd: '/tmp', signal: opts.signal, onLog: (level, m) => logs.push(`${level}: ${m}`) });
  const o = r.outcome;
  return o.status === 'failed' ? { status: o.status, code: o.error.code, message: o.error.message, logs } : { status: o.status, logs };
}
