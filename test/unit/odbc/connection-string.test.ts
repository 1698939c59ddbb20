import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  parseConnectionString, prepareConnectionString, secretValues, parseIni,
} from '../../../src/odbc/connection-string.js';

test('connection strings: key=value pairs, braced values with ;, = and }} inside, bare words', () => {
  assert.deepEqual(parseConnectionString('Driver={PostgreSQL Unicode};Server=db; Port = 5432 ;Pwd={a;b=c}}d};DSN=x;Trusted'), [
    { key: 'Driver', value: 'PostgreSQL Unicode', braced: true },
    { key: 'Server', value: 'db' },
    { key: 'Port', value: '5432' },
    { key: 'Pwd', value: 'a;b=c}d', braced: true },
    { key: 'DSN', value: 'x' },
    { key: 'Trusted', value: '', bare: true },
  ]);
  assert.deepEqual(parseConnectionString(''), []);
  assert.deepEqual(parseConnectionString('DSN=pg'), [{ key: 'DSN', value: 'pg' }]);
});

test('secret values are found whatever the key spelling', () => {
  assert.deepEqual(secretValues('Driver={PostgreSQL Unicode};UID=bob;PWD=my secret pw;password={x;y}'), ['my secret pw', 'x;y']);
  assert.deepEqual(secretValues('DSN=pg;Token=abc;Pwd='), ['abc']);
});

test('PostgreSQL driver: declare/fetch, fetch size and real booleans are added unless set', () => {
  const p = prepareConnectionString('Driver={PostgreSQL Unicode};Server=h;Uid=u;Pwd=p', { fetchRows: 1000 });
  assert.equal(p.postgres, true);
  assert.equal(p.connectionString, 'Driver={PostgreSQL Unicode};Server=h;Uid=u;Pwd=p;UseDeclareFetch=1;Fetch=1000;BoolsAsChar=0;');
  assert.deepEqual(p.secrets, ['p']);

  const own = prepareConnectionString('Driver={PostgreSQL ANSI};usedeclarefetch=0;FETCH=50;BoolsAsChar=1;', { fetchRows: 1000 });
  assert.equal(own.connectionString, 'Driver={PostgreSQL ANSI};usedeclarefetch=0;FETCH=50;BoolsAsChar=1;');

  const byPath = prepareConnectionString('Driver=/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so;Server=h', { fetchRows: 10 });
  assert.equal(byPath.postgres, true);
});

test('PostgreSQL driver: a source chooses TextAsLongVarchar unless the connection string or DSN sets it', () => {
  const fast = prepareConnectionString('Driver={PostgreSQL Unicode};Server=h', { fetchRows: 500, textAsLong: false });
  assert.equal(fast.connectionString, 'Driver={PostgreSQL Unicode};Server=h;UseDeclareFetch=1;Fetch=500;BoolsAsChar=0;TextAsLongVarchar=0;');
  const long = prepareConnectionString('Driver={PostgreSQL Unicode};Server=h', { fetchRows: 500, textAsLong: true });
  assert.equal(long.connectionString, 'Driver={PostgreSQL Unicode};Server=h;UseDeclareFetch=1;Fetch=500;BoolsAsChar=0;TextAsLongVarchar=1;');
  const own = prepareConnectionString('Driver={PostgreSQL Unicode};textaslongvarchar=1', { fetchRows: 500, textAsLong: false });
  assert.equal(own.connectionString, 'Driver={PostgreSQL Unicode};textaslongvarchar=1;UseDeclareFetch=1;Fetch=500;BoolsAsChar=0;');
  const lite = prepareConnectionString('Driver={SQLite3};Database=x.db', { fetchRows: 500, textAsLong: false });
  assert.equal(lite.connectionString, 'Driver={SQLite3};Database=x.db');
});

test('other drivers are passed through untouched', () => {
  for (const cs of ['Driver={SQLite3};Database=/tmp/x.db;', 'Driver={ODBC Driver 18 for SQL Server};Server=s;UID=u;PWD=p']) {
    const p = prepareConnectionString(cs, { fetchRows: 1000 });
    assert.equal(p.postgres, false);
    assert.equal(p.connectionString, cs);
  }
});

test('a DSN is looked up in odbc.ini: its driver decides, its own settings are respected', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aq-odbcini-'));
  const ini = path.join(dir, 'odbc.ini');
  await writeFile(ini, '; comment\n[pg]\nDriver = PostgreSQL Unicode\nServername = db\nFetch = 200\n\n[lite]\nDriver=SQLite3\nDatabase=/tmp/a.db\n');
  assert.equal(parseIni('[a]\nk = v\n').get('a')?.get('k'), 'v');
  const pg = prepareConnectionString('DSN=PG;UID=u', { fetchRows: 1000, dsnFiles: [ini] });
  assert.equal(pg.postgres, true);
  assert.equal(pg.connectionString, 'DSN=PG;UID=u;UseDeclareFetch=1;BoolsAsChar=0;');
  const lite = prepareConnectionString('DSN=lite', { fetchRows: 1000, dsnFiles: [ini] });
  assert.equal(lite.postgres, false);
  const unknown = prepareConnectionString('DSN=nope', { fetchRows: 1000, dsnFiles: [ini] });
  assert.equal(unknown.connectionString, 'DSN=nope');
});
