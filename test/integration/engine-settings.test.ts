/**
 * DataFusion's session semantics (docs/sql.md, "Session settings") hold on every connection of a
 * real run, whatever the machine's time zone: the stages of one group run on connections of their
 * own, and a later group reads their tables by names in any case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI_BIN } from '../support/executor.js';
import { tempDir } from '../support/engine.js';

// Each setting's effect: TimeZone (23:30 UTC is still the 3rd), integer_division (7 / 2 = 3),
// default_null_order (DESC puts NULL first), preserve_identifier_case (unquoted names lower-cased).
const PROBE = [
  "CAST(CAST(TIMESTAMPTZ '2024-01-03 23:30:00+00' AS DATE) AS VARCHAR) AS Day",
  '7 / 2 AS Half',
  '(SELECT list(x ORDER BY x DESC) FROM (VALUES (2), (NULL), (1)) v(x))::VARCHAR AS Desc_Order',
  '1 AS "Kept"',
].join(', ');

const PIPELINE = {
  sources: [],
  stages: [
    [{ name: 'Left_Stage', query: `SELECT 'left' AS Side, ${PROBE}` }, { name: 'right_stage', query: `SELECT 'right' AS Side, ${PROBE}` }],
    [{ name: 'both', query: 'SELECT * FROM LEFT_STAGE UNION ALL BY NAME SELECT * FROM Right_Stage ORDER BY SIDE' }],
  ],
  destination: { type: 'file', name: 'out', location: './out.json', format: { type: 'json' } },
};

test('stages on separate connections, in a machine time zone other than UTC, all behave as DataFusion', async () => {
  const cwd = await tempDir('aq-settings-');
  await writeFile(path.join(cwd, 'p.json'), JSON.stringify(PIPELINE));
  const child = spawn(process.execPath, [CLI_BIN, 'run', '--file', 'p.json'], { cwd, env: { ...process.env, TZ: 'Europe/Berlin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
  const rows = (await readFile(path.join(cwd, 'out.json'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
  const row = { day: '2024-01-03', half: 3, desc_order: '[NULL, 2, 1]', Kept: 1 };
  assert.deepEqual(rows, [{ side: 'left', ...row }, { side: 'right', ...row }]);
});
