/**
 * The DuckDB side of bench/pipelines.ts: runs a job's SQL on @duckdb/node-api alone, in a fresh
 * process, with DuckDB's default settings (as the aqueducts CLI leaves them). Plain JavaScript, so
 * that the process starts as fast as `node dist/src/cli/aqueducts.js` (no TypeScript loader).
 *
 *   node bench/pipelines/duckdb-child.mjs <job.json>
 *
 * job.json: { "steps": [{ "sql": "..." } | { "print": "SELECT ..." }] }. A `print` step writes
 * its rows to stdout (as the CLI prints a stage's `show`).
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
try {
  for (const step of job.steps) {
    if (step.print) {
      const r = await conn.runAndReadAll(step.print);
      const lines = [r.columnNames().join(' | '), ...r.getRowsJS().map((row) => row.map(String).join(' | '))];
      process.stdout.write(`${lines.join('\n')}\n`);
    } else {
      await conn.run(step.sql);
    }
  }
} finally {
  conn.closeSync();
  instance.closeSync();
}
