/**
 * Where tests find the repository and its fixtures (`test/fixtures/`, origins and licenses in
 * `test/fixtures/NOTICE.md`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(REPO, 'test/fixtures');
export const UPSTREAM = path.join(FIXTURES, 'upstream');
/** Test-only TLS material: self-signed certificates and keys that protect nothing. */
export const TLS = path.join(FIXTURES, 'tls');
