/** What a command action writes to, so tests can call actions directly. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

/** Exit codes of the `aqueducts` CLI. */
export const ExitCode = {
  ok: 0,
  /** The pipeline is invalid or the run failed. */
  failed: 1,
  /** Wrong usage (unknown flag, missing option). */
  usage: 2,
  /** Cancelled with Ctrl+C. */
  cancelled: 130,
} as const;
