import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOdbcError, odbcFailure, redact } from '../../../src/odbc/diagnostics.js';
import { redactSecrets } from '../../../src/core/redact.js';

function odbcError(message: string, records: Array<{ state: string; code: number; message: string }>): Error {
  return Object.assign(new Error(message), { odbcErrors: records });
}

test('driver records are shown as SQLSTATE and message, on one line, without repeats', () => {
  const e = odbcError('[odbc] Error executing the sql statement', [
    { state: '42601', code: 1, message: 'ERROR: syntax error at or near "FORM";\nError while executing the query' },
    { state: '42601', code: 1, message: 'ERROR: syntax error at or near "FORM";\nError while executing the query' },
  ]);
  assert.equal(describeOdbcError(e, []), 'SQLSTATE 42601: ERROR: syntax error at or near "FORM"; Error while executing the query');
});

test('without records the error message is used; IM002 gets a hint about registration', () => {
  assert.equal(describeOdbcError(new Error('[odbc] The number of parameter markers differs'), []), 'The number of parameter markers differs');
  const e = odbcError('[odbc] Error connecting to the database', [
    { state: '01000', code: 0, message: "[unixODBC][Driver Manager]Can't open lib 'NoSuch' : file not found" },
    { state: 'IM002', code: 0, message: '[unixODBC][Driver Manager]Data source name not found and no default driver specified' },
  ]);
  const text = describeOdbcError(e, []);
  assert.match(text, /^SQLSTATE 01000: .*Can't open lib 'NoSuch' : file not found; the driver is not installed or not registered with unixODBC \(see `odbcinst -q -d`\); SQLSTATE IM002: .*no default driver specified; the DSN or driver is not registered with unixODBC/);
});

test('passwords are removed: the exact values first (spaces, quotes and all), then the patterns', () => {
  const pw = 'p@ss w"rd;1';
  const e = odbcError('x', [{ state: '08001', code: 101, message: `connection with Pwd=${pw} and again ${pw} failed` }]);
  const text = describeOdbcError(e, [pw]);
  assert.doesNotMatch(text, /p@ss|w"rd/);
  assert.equal(redact('user=bob password=hunter2 rest', []), 'user=bob password=***');
  const failure = odbcFailure('AQ_SOURCE_FAILED', 'source "s"', 'could not connect', e, [pw]);
  assert.equal(failure.code, 'AQ_SOURCE_FAILED');
  assert.match(failure.message, /^source "s": could not connect: SQLSTATE 08001: /);
  // The cause a logger would serialise is scrubbed too.
  assert.doesNotMatch(JSON.stringify((failure.cause as { odbcErrors: unknown }).odbcErrors), /p@ss/);
});

test('redactSecrets: ODBC passwords with spaces are removed up to the next ;, URL forms still work', () => {
  assert.equal(redactSecrets('Driver={X};UID=u;PWD=two words;Server=s'), 'Driver={X};UID=u;PWD=***;Server=s');
  assert.equal(redactSecrets('Pwd={a;b}};c};x=1'), 'Pwd=***;x=1');
  assert.equal(redactSecrets('https://h/p?password=abc&user=bob'), 'https://h/p?password=***&user=bob');
  assert.equal(redactSecrets('postgres://u:secret@host/db'), 'postgres://u:***@host/db');
  assert.equal(redactSecrets('wss://o/ws?token=abc'), 'wss://o/ws?token=***');
  assert.equal(redactSecrets('password authentication failed for user "u"'), 'password authentication failed for user "u"');
});
