/** Every line the `aqueducts` CLI prints about a run, in one place. */
import type { ProgressEvent, StageOutput } from '../engine/run-events.js';

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

export function stageOutputText(o: StageOutput): string {
  return `${o.header}${o.body}\n${o.footer}`;
}

export const messages = {
  failed: (msg: string) => `❌ Pipeline failed: ${msg}`,
  cancelling: '⏹  Cancelling… (press Ctrl+C again to exit immediately)',
  cancelled: '⏹  Pipeline cancelled; nothing was written to the destination',
  valid: (file: string) => `✓ ${file} is a valid pipeline`,
  invalid: (file: string) => `✗ ${file} is not a valid pipeline`,
  warning: (text: string) => `⚠ ${text}`,
};
