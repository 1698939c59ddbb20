/** Every line the `aqueducts` CLI prints about a run, in one place. */
import type { ProgressEvent, StageOutput } from '../core/run-events.js';

const seconds = (ms: number) => (ms / 1000).toFixed(2);

export function progressLine(progress: number, e: ProgressEvent): string {
  const pct = `[${String(progress).padStart(3)}%]`;
  switch (e.type) {
    case 'started': return `${pct} 🚀 Pipeline execution started`;
    case 'source_registered': return `${pct} 📚 Registered source: ${e.name}`;
    case 'stage_started': return `${pct} ⚙️  Processing stage: ${e.name} (position: ${e.position}, sub-position: ${e.sub_position})`;
    case 'stage_completed': return `${pct} ✅ Completed stage: ${e.name} (took: ${seconds(e.duration_ms)}s)`;
    case 'destination_completed': return `${pct} 📦 Data successfully written to destination`;
    case 'completed': return `${pct} 🎉 Pipeline execution completed (total time: ${seconds(e.duration_ms)}s)`;
  }
}

export function stageOutputText(o: Pick<StageOutput, 'header' | 'body' | 'footer'>): string {
  return `${o.header}${o.body}\n${o.footer}`;
}

export const messages = {
  failed: (msg: string) => `❌ Pipeline failed: ${msg}`,
  cancelling: '⏹  Cancelling… (press Ctrl+C again to exit immediately)',
  cancelled: '⏹  Pipeline cancelled; nothing was written to the destination',
  valid: (file: string) => `✓ ${file} is a valid pipeline`,
  invalid: (file: string) => `✗ ${file} is not a valid pipeline`,
  warning: (text: string) => `⚠ ${text}`,
  usage: (text: string) => `error: ${text}`,
};

/** Lines about talking to a remote executor (`run --executor`, `cancel`). URLs never carry the API key. */
export const remoteMessages = {
  error: (message: string) => `❌ ${message}`,
  executionId: (id: string) => `Execution id: ${id}`,
  queued: (position: number) => `⏳ Queued: position ${position} (0 = next to run)`,
  log: (level: string, message: string) => `${level}: ${message}`,
  cannotConnect: (url: string, reason: string) => `❌ Cannot connect to executor at ${url}: ${reason}`,
  authenticationFailed: '❌ Authentication failed: the executor rejected the API key',
  refused: (url: string, status: number, statusText: string, body: string) =>
    `❌ Executor at ${url} answered HTTP ${status}${statusText ? ` ${statusText}` : ''} instead of opening a WebSocket${body ? `: ${body}` : ''}`,
  lostConnection: (url: string, code: number, reason: string, id: string) =>
    `❌ Lost connection to executor ${url} (code ${code}${reason ? `: ${reason}` : ''}): the outcome of execution ${id} is unknown`,
  messageTooBig: (url: string) =>
    `❌ Executor ${url} closed the connection with code 1009 (message too big): the pipeline request is larger than the executor accepts; raise --max-message-bytes on the executor`,
  requestNotUnderstood: (message: string) => `❌ The executor did not understand the request: ${message}`,
  ignoredFrame: (reason: string) => `⚠ Ignored a message from the executor: ${reason}`,
  cancelUnanswered: (id: string, seconds: number) =>
    `❌ No answer to the cancel request within ${seconds} s: the outcome of execution ${id} is unknown`,
  cancelledById: (id: string) => `⏹ Execution ${id} cancelled`,
  cannotCancel: (id: string, message: string) => `❌ Cannot cancel execution ${id}: ${message}`,
  cancelLostConnection: (url: string, code: number, reason: string, id: string) =>
    `❌ Lost connection to executor ${url} (code ${code}${reason ? `: ${reason}` : ''}) before it answered the cancel request for ${id}`,
  cancelTimedOut: (url: string, id: string, seconds: number) =>
    `❌ Executor ${url} did not answer the cancel request for ${id} within ${seconds} s`,
};
