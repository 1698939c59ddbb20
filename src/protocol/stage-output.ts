/** A stage output as protocol messages: start, body chunks of at most 32,000 characters, end. */
import type { StageOutput } from '../core/run-events.js';
import { chunkByChars, type ExecutorMessage } from './messages.js';

export function stageOutputMessages(executionId: string, o: StageOutput): ExecutorMessage[] {
  const base = { type: 'stage_output' as const, execution_id: executionId, stage_name: o.stageName };
  return [
    { ...base, payload: { type: 'output_start', output_header: o.header } },
    ...chunkByChars(o.body).map((body, sequence): ExecutorMessage => ({ ...base, payload: { type: 'output_chunk', sequence, body } })),
    { ...base, payload: { type: 'output_end', output_footer: o.footer } },
  ];
}
