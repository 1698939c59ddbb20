/**
 * Keys given as files (--api-key-file, --client-api-key-file, --executor-secret-file and their
 * variables), so that they need not appear in the process list: the trailing newline is dropped;
 * an empty, unreadable or oversized file is a one-line error naming the file, never its content;
 * a key and a key file together are an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeConfig, loadExecutorConfig } from '../../../src/config/executor.js';
import { describeOrchestratorConfig, loadOrchestratorConfig } from '../../../src/config/orchestrator.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aqueducts-key-files-'));
const CONTENT = 'file-s3cret-Key';
function keyFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
const withNewline = keyFile('key', `${CONTENT}\n`);
const withCrlf = keyFile('key-crlf', `${CONTENT}\r\n`);
const bare = keyFile('key-bare', CONTENT);
const empty = keyFile('empty', '');
const blank = keyFile('blank', '  \n\n');
const huge = keyFile('huge', `${CONTENT}${'x'.repeat(70_000)}`);
const folder = path.join(dir, 'a-folder');
mkdirSync(folder);
const missing = path.join(dir, 'missing');

function refused(load: () => unknown, message: string): void {
  assert.throws(load, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes('\n'));
    assert.ok(!e.message.includes(CONTENT), 'never the content');
    return true;
  });
}

test('executor: the key is read from --api-key-file or API_KEY_FILE, without its trailing newline', () => {
  for (const file of [withNewline, withCrlf, bare]) {
    assert.equal(loadExecutorConfig(['--api-key-file', file], {}).apiKey, CONTENT);
    assert.equal(loadExecutorConfig([], { API_KEY_FILE: file }).apiKey, CONTENT);
  }
  const c = loadExecutorConfig(['--api-key-file', path.relative(process.cwd(), withNewline)], {});
  assert.equal(c.apiKeyFile, withNewline, 'a relative path resolves against the working directory');
  const described = JSON.stringify(describeConfig(c));
  assert.ok(described.includes(withNewline));
  assert.ok(!described.includes(CONTENT));
  assert.equal(loadExecutorConfig(['--api-key', 'direct'], {}).apiKeyFile, null);
});

test('executor: an empty, blank, missing, unreadable or oversized key file is an error naming the file', () => {
  refused(() => loadExecutorConfig(['--api-key-file', empty], {}), `--api-key-file ${JSON.stringify(empty)} is empty: an API key is required`);
  refused(() => loadExecutorConfig([], { API_KEY_FILE: blank }), `API_KEY_FILE ${JSON.stringify(blank)} is empty: an API key is required`);
  refused(() => loadExecutorConfig(['--api-key-file', missing], {}), `cannot read --api-key-file ${JSON.stringify(missing)}: no such file or directory`);
  refused(() => loadExecutorConfig(['--api-key-file', folder], {}), `cannot read --api-key-file ${JSON.stringify(folder)}: is a directory`);
  refused(() => loadExecutorConfig(['--api-key-file', huge], {}), `invalid --api-key-file ${JSON.stringify(huge)}: larger than 64 KiB, not a key file`);
});

test('executor: a key and a key file together are an error, whichever way each is given', () => {
  const both = (a: string, b: string) => `${a} and ${b} are both set: give an API key or a file holding it, not both`;
  refused(() => loadExecutorConfig(['--api-key', 'k', '--api-key-file', withNewline], {}), both('--api-key', '--api-key-file'));
  refused(() => loadExecutorConfig([], { API_KEY: 'k', API_KEY_FILE: withNewline }), both('API_KEY', 'API_KEY_FILE'));
  refused(() => loadExecutorConfig(['--api-key-file', withNewline], { API_KEY: 'k' }), both('API_KEY', '--api-key-file'));
  refused(() => loadExecutorConfig(['--api-key', 'k'], { API_KEY_FILE: withNewline }), both('--api-key', 'API_KEY_FILE'));
});

test('orchestrator: the client key and the executor secret can each be a file', () => {
  const other = keyFile('secret', 'fleet-s3cret\n');
  const c = loadOrchestratorConfig(['--client-api-key-file', withNewline], { EXECUTOR_SECRET_FILE: other });
  assert.equal(c.clientApiKey, CONTENT);
  assert.equal(c.executorSecret, 'fleet-s3cret');
  assert.equal(c.clientApiKeyFile, withNewline);
  assert.equal(c.executorSecretFile, other);
  const described = JSON.stringify(describeOrchestratorConfig(c));
  assert.ok(!described.includes(CONTENT) && !described.includes('fleet-s3cret'));
  const mixed = loadOrchestratorConfig(['--executor-secret-file', other], { CLIENT_API_KEY: 'direct' });
  assert.deepEqual([mixed.clientApiKey, mixed.clientApiKeyFile, mixed.executorSecret], ['direct', null, 'fleet-s3cret']);
});

test('orchestrator: empty, missing and doubled key files are errors naming the file', () => {
  refused(() => loadOrchestratorConfig(['--client-api-key-file', empty], { EXECUTOR_SECRET: 'client-key-not-in-any-path' }),
    `--client-api-key-file ${JSON.stringify(empty)} is empty: a client API key is required`);
  refused(() => loadOrchestratorConfig([], { CLIENT_API_KEY: 'client-key-not-in-any-path', EXECUTOR_SECRET_FILE: missing }),
    `cannot read EXECUTOR_SECRET_FILE ${JSON.stringify(missing)}: no such file or directory`);
  refused(() => loadOrchestratorConfig(['--client-api-key', 'client-key-not-in-any-path', '--client-api-key-file', withNewline], { EXECUTOR_SECRET: 'executor-secret-not-in-any-path' }),
    '--client-api-key and --client-api-key-file are both set: give a client API key or a file holding it, not both');
  refused(() => loadOrchestratorConfig(['--executor-secret-file', withNewline], { CLIENT_API_KEY: 'client-key-not-in-any-path', EXECUTOR_SECRET: 'executor-secret-not-in-any-path' }),
    'EXECUTOR_SECRET and --executor-secret-file are both set: give an executor secret or a file holding it, not both');
});
