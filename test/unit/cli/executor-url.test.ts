import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayUrl, executorUrl } from '../../../src/cli/remote/executor-url.js';
import { UsageError } from '../../../src/cli/remote/usage-error.js';

test('every accepted form of --executor', () => {
  const cases: Array<[string, string]> = [
    ['localhost:3031', 'ws://localhost:3031/ws/connect'],
    ['127.0.0.1:3031', 'ws://127.0.0.1:3031/ws/connect'],
    ['[::1]:3031', 'ws://[::1]:3031/ws/connect'],
    ['executor.internal:8080', 'ws://executor.internal:8080/ws/connect'],
    ['  localhost:3031  ', 'ws://localhost:3031/ws/connect'],
    ['localhost:3031/custom/path', 'ws://localhost:3031/custom/path'],
    ['localhost:3031?protocol=2', 'ws://localhost:3031/ws/connect?protocol=2'],
    ['http://localhost:3031', 'ws://localhost:3031/ws/connect'],
    ['http://localhost:3031/', 'ws://localhost:3031/ws/connect'],
    ['https://exec.example.com', 'wss://exec.example.com/ws/connect'],
    ['https://exec.example.com:8443/aqueducts/ws/connect', 'wss://exec.example.com:8443/aqueducts/ws/connect'],
    ['HTTPS://Exec.Example.com:8443', 'wss://exec.example.com:8443/ws/connect'],
    ['ws://localhost:3031', 'ws://localhost:3031/ws/connect'],
    ['ws://localhost:3031/ws/connect', 'ws://localhost:3031/ws/connect'],
    ['ws://localhost:3031/?protocol=2', 'ws://localhost:3031/ws/connect?protocol=2'],
    ['wss://exec.example.com/ws/connect?a=1&b=2', 'wss://exec.example.com/ws/connect?a=1&b=2'],
    ['wss://orchestrator:3000', 'wss://orchestrator:3000/ws/connect'],
    ['ws://localhost:80', 'ws://localhost/ws/connect'],
  ];
  for (const [input, expected] of cases) assert.equal(executorUrl(input).href, expected, input);
});

test('bad --executor values are usage errors that say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /expected HOST:PORT/],
    ['   ', /expected HOST:PORT/],
    ['localhost', /expected HOST:PORT \(e\.g\. localhost:3031\)/],
    ['localhost:', /expected HOST:PORT/],
    ['localhost:abc', /expected HOST:PORT/],
    ['localhost:99999', /not a valid address/],
    ['local host:3031', /white space/],
    ['ftp://host:21', /unsupported scheme ftp:\/\//],
    ['file:///tmp/x', /unsupported scheme file:\/\//],
    ['http://', /not a valid address/],
    ['ws://host:3031/ws/connect#frag', /fragment/],
    ['host:3031#x', /expected HOST:PORT|fragment/],
    ['host:0', /port 0/],
    ['user@host:3031', /expected HOST:PORT/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => executorUrl(input), (e: unknown) => {
      assert.ok(e instanceof UsageError, input);
      assert.match(e.message, /^invalid --executor "/, input);
      assert.match(e.message, message, input);
      return true;
    });
  }
});

test('the printed URL never carries credentials', () => {
  const url = executorUrl('wss://user:secret@exec.example.com');
  assert.equal(url.password, 'secret');
  assert.equal(displayUrl(url), 'wss://exec.example.com/ws/connect');
  assert.equal(displayUrl(executorUrl('localhost:1')), 'ws://localhost:1/ws/connect');
});
