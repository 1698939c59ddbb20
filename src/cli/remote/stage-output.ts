/**
 * Reassembles stage outputs from `stage_output` messages: `output_start` (header), the
 * `output_chunk`s concatenated in `sequence` order, `output_end` (footer). Buffers are kept per
 * stage, so outputs of stages that run in parallel never mix.
 */
import type { StageOutputPayload } from '../../protocol/messages.js';

export interface AssembledOutput {
  stageName: string;
  header: string;
  body: string;
  footer: string;
}

interface Pending {
  header: string;
  chunks: Array<{ sequence: number; body: string }>;
}

export class StageOutputAssembler {
  private readonly pending = new Map<string, Pending>();

  /** Takes one payload; returns the complete output when it was the `output_end`. */
  accept(stageName: string, payload: StageOutputPayload): AssembledOutput | null {
    switch (payload.type) {
      case 'output_start':
        this.pending.set(stageName, { header: payload.output_header, chunks: [] });
        return null;
      case 'output_chunk':
        this.buffer(stageName).chunks.push({ sequence: payload.sequence, body: payload.body });
        return null;
      case 'output_end': {
        const { header, chunks } = this.buffer(stageName);
        this.pending.delete(stageName);
        const body = [...chunks].sort((a, b) => a.sequence - b.sequence).map((c) => c.body).join('');
        return { stageName, header, body, footer: payload.output_footer };
      }
    }
  }

  private buffer(stageName: string): Pending {
    let p = this.pending.get(stageName);
    if (!p) {
      p = { header: '', chunks: [] };
      this.pending.set(stageName, p);
    }
    return p;
  }
}
