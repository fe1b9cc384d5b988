/** The streams the CLI writes to; `process.stdout`/`process.stderr` in main.ts. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Exit codes: see docs/cli.md. */
export const ExitCodes = {
  OK: 0,
  FATAL: 1,
  USAGE: 2,
  /** A second SIGINT/SIGTERM while the graceful stop was still running. */
  FORCED: 130,
} as const;
