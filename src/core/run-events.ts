/**
 * What a pipeline run reports while it advances: the protocol's `event` objects (PROTOCOL.md,
 * `progress_update.event`) and stage outputs. Field names are the wire names.
 */

export type ProgressEvent =
  | { type: 'started' }
  | { type: 'source_registered'; name: string }
  | { type: 'stage_started'; name: string; position: number; sub_position: number }
  | { type: 'stage_completed'; name: string; position: number; sub_position: number; duration_ms: number }
  | { type: 'destination_completed' }
  | { type: 'completed'; duration_ms: number };

export type StageOutputKind = 'show' | 'show_limit' | 'explain' | 'explain_analyze' | 'print_schema';

/** One stage output: a header line and a text body (a bordered table or a plan). */
export interface StageOutput {
  stageName: string;
  kind: StageOutputKind;
  header: string;
  body: string;
  footer: string;
}
