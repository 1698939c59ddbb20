/**
 * Where tests find the repository and the shared fixtures. The fixtures live in `shared/` beside
 * the checkout (as on developer machines and in CI); AQUEDUCTS_FIXTURES points elsewhere.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = process.env.AQUEDUCTS_FIXTURES
  ? path.resolve(process.env.AQUEDUCTS_FIXTURES)
  : path.resolve(REPO, '../shared/fixtures');
export const UPSTREAM = path.join(FIXTURES, 'upstream');
