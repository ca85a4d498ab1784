/**
 * What every CLI command receives: its own arguments (after the command
 * words), the environment and output sinks. Commands return the exit code:
 * 0 ok, 1 a check failed, 2 bad usage or configuration.
 */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export type CliCommand = (argv: string[], io: CliIo) => Promise<number>;

/** Exit codes shared by every command. */
export const EXIT = { OK: 0, CHECK_FAILED: 1, USAGE: 2 } as const;
