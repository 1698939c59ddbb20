/**
 * The original project's ODBC example (aqueduct_pipeline_odbc.yml) runs unchanged against a
 * real PostgreSQL: two ODBC sources (January and February of `temp_readings`), aggregated, and
 * appended to `temp_readings_aggregated` over ODBC.
 *
 * The example's connection string is `Driver={PostgreSQL Unicode};Server=localhost;UID=${user};
 * PWD=${pass};`: no port and no database. Rather than editing it, the test gives it what a user
 * would: a database named after the user (libpq's default) and the server's port in PGPORT,
 * which psqlODBC leaves to libpq when the string names none. The throw-away server therefore
 * needs no fixed port (5432 may be taken).
 *
 * It also runs through the real executor process (the password must never appear in its replies
 * or logs) and through the CLI on a machine without the odbc module.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPipelineFile } from '../../../src/pipeline/load.js';
import { serializeAqueduct } from '../../../src/pipeline/serialize.js';
import { runPipeline } from '../../../src/run/run-pipeline.js';
import { FIXTURES, REPO, query, tempDir } from '../../support/engine.js';
import { Client, startExecutor } from '../../support/executor.js';
import { PG_SECURE_PASSWORD, PG_SECURE_USER, startPostgres, type PgServer } from '../../support/postgres.js';

const EXAMPLE = path.join(FIXTURES, 'upstream/examples/aqueduct_pipeline_odbc.yml');
const CSV = (month: string) => path.join(FIXTURES, `examples/temp_readings_${month}_2024.csv`);
const PARAMS = { user: PG_SECURE_USER, pass: PG_SECURE_PASSWORD };

let pg: PgServer;

before(async () => {
  pg = await startPostgres();
  await pg.psql(`CREATE DATABASE ${PG_SECURE_USER} OWNER ${PG_SECURE_USER}`, { database: 'postgres' });
  await pg.psql(`
    CREATE TABLE temp_readings (location_id integer, "timestamp" timestamptz, temperature_c numeric(5,2), humidity numeric(5,2), weather_condition text);
    CREATE TABLE temp_readings_aggregated (date date, location_id integer, min_temp_c numeric(6,2), min_humidity numeric(6,2),
      max_temp_c numeric(6,2), max_humidity numeric(6,2), avg_temp_c double precision, avg_humidity double precision);
    ALTER TABLE temp_readings OWNER TO ${PG_SECURE_USER};
    ALTER TABLE temp_readings_aggregated OWNER TO ${PG_SECURE_USER};`, { database: PG_SECURE_USER });
  for (const month of ['jan', 'feb']) {
    await pg.psql(`\\copy temp_readings FROM '${CSV(month)}' WITH (FORMAT csv, HEADER true)`, { database: PG_SECURE_USER });
  }
});

after(async () => { await pg?.stop(); });

/** What the example computes, computed by DuckDB straight from the CSV files. */
async function expected(): Promise<string[]> {
  const month = (from: string, to: string) => `
    SELECT cast(timestamp AS date) AS date, location_id,
      round(min(temperature_c), 2) AS min_temp_c, round(min(humidity), 2) AS min_humidity,
      round(max(temperature_c), 2) AS max_temp_c, round(max(humidity), 2) AS max_humidity,
      round(avg(temperature_c), 2) AS avg_temp_c, round(avg(humidity), 2) AS avg_humidity
    FROM readings WHERE timestamp BETWEEN TIMESTAMPTZ '${from}' AND TIMESTAMPTZ '${to}' GROUP BY 1, 2`;
  const rows = await query(`
    WITH readings AS (
      SELECT location_id, CAST(timestamp AS TIMESTAMPTZ) AS timestamp, CAST(temperature_c AS DECIMAL(5,2)) AS temperature_c, CAST(humidity AS DECIMAL(5,2)) AS humidity
      FROM read_csv(['${CSV('jan')}', '${CSV('feb')}'], columns = {'location_id': 'INTEGER', 'timestamp': 'VARCHAR', 'temperature_c': 'VARCHAR', 'humidity': 'VARCHAR', 'weather_condition': 'VARCHAR'}, header = true)
    )
    SELECT concat_ws('|', date, location_id, min_temp_c, min_humidity, max_temp_c, max_humidity, avg_temp_c, avg_humidity) AS line FROM (
      ${month('2024-01-01', '2024-01-31')} UNION ALL ${month('2024-02-01', '2024-02-29')}
    ) ORDER BY line`);
  return rows.map((r) => normalise(String(r.line))).sort();
}

/** Numbers compared as numbers (PostgreSQL prints 8 where DuckDB prints 8.0). */
function normalise(line: string): string {
  return line.split('|').map((f, i) => (i >= 2 ? String(Number(f)) : f)).join('|');
}

async function written(): Promise<string[]> {
  const rows = await pg.psql('SELECT concat_ws(\'|\', date, location_id, min_temp_c, min_humidity, max_temp_c, max_humidity, avg_temp_c, avg_humidity) AS line FROM temp_readings_aggregated ORDER BY line', { database: PG_SECURE_USER });
  return rows.split('\n').filter((l) => l !== '').map(normalise).sort();
}

test('the ODBC example runs unchanged: both months aggregated and appended over ODBC', async () => {
  await pg.psql('TRUNCATE temp_readings_aggregated', { database: PG_SECURE_USER });
  const cwd = await tempDir();
  const { pipeline } = await loadPipelineFile(EXAMPLE, PARAMS, { cwd });
  const before = process.env.PGPORT;
  process.env.PGPORT = String(pg.port);
  const outputs: string[] = [];
  try {
    const outcome = await runPipeline({ pipeline, onStageOutput: (o) => outputs.push(`${o.kind}:${o.stageName}`) });
    assert.equal(outcome.status, 'succeeded', outcome.status === 'failed' ? outcome.error.message : '');
  } finally {
    if (before === undefined) delete process.env.PGPORT; else process.env.PGPORT = before;
  }
  assert.deepEqual(outputs.sort(), ['show:feb_aggregated', 'show_limit:jan_aggregated']);
  const want = await expected();
  assert.ok(want.length > 400, `expected many daily rows, got ${want.length}`);
  assert.deepEqual(await written(), want);
});

test('through the real executor process: the run succeeds and the password appears in no reply and no log line', async () => {
  await pg.psql('TRUNCATE temp_readings_aggregated', { database: PG_SECURE_USER });
  const cwd = await tempDir();
  const render = async (params: Record<string, string>) => JSON.parse(serializeAqueduct((await loadPipelineFile(EXAMPLE, params, { cwd })).pipeline)) as unknown;
  const ex = await startExecutor([], { PGPORT: String(pg.port) });
  try {
    const c = await Client.connect(ex.wsUrl, { v2: true });
    c.send({ type: 'execution_request', pipeline: await render(PARAMS) });
    const ok = await c.responseId(0);
    const end = await c.terminal(ok, 60_000);
    assert.equal(end.type, 'execution_succeeded', JSON.stringify(end));
    assert.deepEqual(await written(), await expected());

    const wrong = 'Wrong-Pa55word!';
    c.send({ type: 'execution_request', pipeline: await render({ user: PG_SECURE_USER, pass: wrong }) });
    const bad = await c.responseId(1);
    const failed = await c.terminal(bad, 60_000);
    assert.equal(failed.type, 'execution_error');
    // the destination (same database) is checked first, before the sources load
    assert.equal(failed.type === 'execution_error' && failed.reason, 'destination');
    assert.match(failed.type === 'execution_error' ? failed.message : '', /^destination "temp_readings_aggregated": could not connect: SQLSTATE 08001: .*password authentication failed for user "aq_secure"/);
    c.close();
    const everything = JSON.stringify(c.messages) + ex.stderr();
    for (const secret of [PG_SECURE_PASSWORD, wrong]) assert.ok(!everything.includes(secret), `${secret} leaked`);
    assert.ok(ex.logs.length > 10, 'the executor logged (at debug)');
  } finally {
    await ex.stop();
  }
});

test('the CLI on a machine without the odbc module: exit 1 and one line saying what to install', async () => {
  const cwd = await tempDir();
  // A module hook that makes the optional package unresolvable, as on a machine without it.
  const hook = path.join(cwd, 'hide-odbc.mjs');
  await writeFile(hook, `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(specifier, context, next) {
  if (specifier === 'odbc') { const e = new Error("Cannot find package 'odbc' imported from the executor"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; }
  return next(specifier, context);
}\`));
`);
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', hook, path.join(REPO, 'dist/src/cli/aqueducts.js'), 'run', '--file', EXAMPLE, '-p', 'user=u', '-p', 'pass=Hidden-Secret-1'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /destination "temp_readings_aggregated": ODBC is not available on this machine: the optional "odbc" module could not be loaded \(Cannot find package 'odbc'.*\); install unixODBC .*apt-get install unixodbc unixodbc-dev.*npm rebuild odbc/);
  assert.doesNotMatch(r.stderr, /Hidden-Secret-1/);
});
