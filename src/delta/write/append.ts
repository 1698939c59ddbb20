/** `append`: new data files only, no removes; blind (it reads nothing, so it never conflicts with another append). */
import { writeDataFiles } from './data-files.js';
import { partitionByParameter, readVersionOf, type OperationInput, type Planned } from './plan.js';

export async function planAppend({ env, state, select, written }: OperationInput): Promise<Planned> {
  const started = Date.now();
  const files = await writeDataFiles(env, state.shape, select, written);
  return {
    actions: files.adds.map((add) => ({ kind: 'add', add })),
    operation: 'WRITE',
    parameters: { mode: 'Append', partitionBy: partitionByParameter(state) },
    metrics: {
      execution_time_ms: Date.now() - started,
      num_added_files: files.adds.length,
      num_added_rows: files.rows,
      num_partitions: files.partitions,
      num_removed_files: 0,
    },
    scope: { readVersion: readVersionOf(state), readFiles: new Set(), removes: new Set(), readsWholeTable: false },
  };
}
