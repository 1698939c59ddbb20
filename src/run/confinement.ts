/**
 * Path confinement of remote runs: every local location of a pipeline (file and directory
 * sources, Delta tables, file destinations) must lie inside one of the executor's allowed roots,
 * and outside its spill directory (which holds other runs' data). Locations are checked after
 * resolution: relative paths were joined to the data root when the request was decoded, `..` is
 * resolved here, `file://` URLs are paths like any other, and symbolic links are followed (for a
 * path that does not exist yet, the links of its nearest existing ancestor are). A refused
 * location fails the run before anything is read or written, naming the field and the roots.
 *
 * Local CLI runs are not confined: a user's own files are theirs.
 */
import path from 'node:path';
import { ExecutorError } from '../core/errors.js';
import { locationToPath } from '../pipeline/location.js';
import { isWithin, resolveReal } from '../storage/paths.js';
import type { Aqueduct } from '../pipeline/types.js';

export interface PathPolicy {
  /** Absolute directories (symbolic links resolved) that locations must lie in. */
  roots: readonly string[];
  /** Never inside this directory, even when it lies in a root (the executor's spill directory). */
  forbidden?: string;
}

/** A local location of the pipeline and the field it comes from. */
export interface LocalLocation {
  field: string;
  path: string;
}

/** Every local path the pipeline names: sources and destination, with their fields. */
export function localLocations(pipeline: Aqueduct): LocalLocation[] {
  const out: LocalLocation[] = [];
  pipeline.sources.forEach((s, i) => {
    if (s.type === 'file' || s.type === 'directory' || s.type === 'delta') {
      const p = locationToPath(s.location);
      if (p !== null) out.push({ field: `sources[${i}].location`, path: p });
    }
  });
  const d = pipeline.destination;
  if (d && (d.type === 'file' || d.type === 'delta')) {
    const p = locationToPath(d.location);
    if (p !== null) out.push({ field: 'destination.location', path: p });
  }
  return out;
}

/** A path from a client, quoted and shortened for a message. */
function clientValue(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}…` : p);
}

/** Fails with AQ_PATH_NOT_ALLOWED naming the first location outside the policy's roots. */
export async function confineLocations(pipeline: Aqueduct, policy: PathPolicy): Promise<void> {
  const forbidden = policy.forbidden === undefined ? undefined : await resolveReal(policy.forbidden);
  for (const { field, path: p } of localLocations(pipeline)) {
    const real = await resolveReal(p);
    const shown = clientValue(p);
    if (forbidden !== undefined && isWithin(real, forbidden)) {
      throw new ExecutorError('AQ_PATH_NOT_ALLOWED', `${field}: ${shown} is inside the executor's spill directory, which pipelines may not use`);
    }
    if (!policy.roots.some((root) => isWithin(real, root))) {
      const via = real === path.resolve(p) ? '' : ` (it resolves to ${clientValue(real)})`;
      throw new ExecutorError(
        'AQ_PATH_NOT_ALLOWED',
        `${field}: ${shown}${via} is outside the directories this executor allows (${policy.roots.join(', ')}); an operator can allow more with --allow-path`,
      );
    }
  }
}
