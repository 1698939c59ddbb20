/**
 * What a pipeline run reports while it advances: the protocol's `event` objects
 * (`progress_update.event`, docs/protocol.md), stage outputs, and the run's own log lines for its
 * user. Field names are the wire names.
 */

/** The levels of a run's own log lines (protocol v2 `log` messages, the CLI's warnings). */
export type RunLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Receives a run's own log lines; never given secrets. */
export type RunLogListener = (level: RunLogLevel, message: string) => void;

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
