/** Checks every stage's SQL of a pipeline without running anything. */
import { DuckDBInstance } from './duckdb.js';
import { ExecutorError } from '../core/errors.js';
import type { Aqueduct } from '../pipeline/types.js';
import { applySqlCompat } from './sql/compat.js';
import { checkStageQuery } from './sql/check.js';
import { rewriteSql } from './sql/rewrite.js';

/** Resolves when every stage is a single read-only query that parses; otherwise throws the first error. */
export async function checkPipelineSql(pipeline: Aqueduct): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', autoinstall_known_extensions: 'false' });
  try {
    const conn = await instance.connect();
    await applySqlCompat(conn);
    for (const group of pipeline.stages) for (const stage of group) await checkStageQuery(conn, stage.name, rewriteSql(stage.query));
    if (pipeline.destination && !pipeline.stages.at(-1)?.at(-1)) {
      throw new ExecutorError('AQ_INVALID_PIPELINE', `destination "${pipeline.destination.name}": the pipeline has no stage whose result could be written`);
    }
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
}
