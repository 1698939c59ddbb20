/** `aqueducts schema`: prints the JSON Schema of the pipeline format. */
import { pipelineJsonSchema } from '../pipeline/schema.js';
import { ExitCode, type CliIo } from './io.js';

export function schemaAction(io: CliIo): number {
  io.out(JSON.stringify(pipelineJsonSchema(), null, 2));
  return ExitCode.ok;
}
