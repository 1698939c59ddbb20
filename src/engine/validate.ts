/** Checks every stage's SQL of a pipeline without running anything. */
import { ExecutorError } from '../core/errors.js';
import type { Aqueduct } from '../pipeline/types.js';
import { checkSerializedQuery } from './sql/check.js';
import { rewriteSql } from './sql/rewrite.js';
import { openSqlParser, type SqlParser } from './sql-parser.js';

/**
 * Resolves when every stage is a single read-only query that parses; otherwise throws the first
 * error. `opening` is the parser to use, already being opened (`aqueducts validate` opens it while
 * it loads the definition); it is closed at the end.
 */
export async function checkPipelineSql(pipeline: Aqueduct, opening: Promise<SqlParser> = openSqlParser()): Promise<void> {
  const parser = await opening;
  try {
    for (const group of pipeline.stages) for (const stage of group) await checkSerializedQuery(parser.serialize, stage.name, rewriteSql(stage.query));
    if (pipeline.destination && !pipeline.stages.at(-1)?.at(-1)) {
      throw new ExecutorError('AQ_INVALID_PIPELINE', `destination "${pipeline.destination.name}": the pipeline has no stage whose result could be written`);
    }
  } finally {
    parser.close();
  }
}
