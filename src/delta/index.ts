/**
 * Delta Lake for the executor: the part of the Delta transaction log protocol this project needs,
 * over the storage layer (src/storage), with DuckDB reading and writing the data files.
 *
 * - sources: `registerDeltaSource` (a view of the snapshot at the latest version, a version or a timestamp);
 * - destinations: `planDeltaDestination` (before the lockdown), `checkDeltaDestination` (before the
 *   sources load), `writeDeltaDestination` (append, replace, upsert; one atomic commit);
 * - validation: `deltaSourceFindings`, `deltaDestinationFindings` (no I/O).
 */
export { registerDeltaSource, type DeltaSource, type DeltaSourceHost, type RegisteredDeltaSource } from './source.js';
export {
  planDeltaDestination, checkDeltaDestination, writeDeltaDestination,
  type DeltaDestination, type DeltaDestinationPlan, type DeltaPlanHost, type DeltaRunContext, type WriteResult,
} from './destination.js';
export { deltaSourceFindings, deltaDestinationFindings, type DeltaFinding } from './validate.js';
