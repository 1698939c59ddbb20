/**
 * Loaded with `--import` (through NODE_OPTIONS) into a program under test: records every module
 * the process loads, one per line, into the file named by AQ_LOAD_LOG. ES modules (and CommonJS
 * modules reached by `import`) are recorded by a load hook as they load; CommonJS modules reached
 * by `require` are the keys of the require cache, written when the process exits.
 * See test/support/loaded-modules.ts for reading the file.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.AQ_LOAD_LOG;
if (out) {
  const hooks = `
    import { appendFileSync } from 'node:fs';
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(out)}, url + '\\n');
      return next(url, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(out, Object.keys(cache).map((f) => `${f}\n`).join('')));
}
