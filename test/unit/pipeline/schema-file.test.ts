import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pipelineJsonSchema } from '../../../src/pipeline/schema.js';

test('aqueducts.schema.json (what editors point at) is the schema the CLI prints', async () => {
  const onDisk = JSON.parse(await readFile(new URL('../../../aqueducts.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(onDisk, pipelineJsonSchema(), 'regenerate it: node dist/src/cli/aqueducts.js schema > aqueducts.schema.json');
});
