import { parseCli, UsageError } from './args.js';
import { runDemo } from './demo.js';
import { parseDoctor } from './doctor/doctor-args.js';
import { runDoctor } from './doctor/run-doctor.js';
import { doctorHelpText, helpText } from './help.js';
import { ExitCodes, type CliIo } from './io.js';
import { runLive } from './live.js';
import { readVersion } from './version.js';

/** Runs one CLI invocation and returns its exit code. Never calls `process.exit` on the normal paths. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  try {
    // `doctor` is the one subcommand; everything else is flags.
    const command = argv[0] === 'doctor' ? parseDoctor(argv.slice(1), env) : parseCli(argv, env);
    switch (command.mode) {
      case 'help':
        io.stdout.write(helpText());
        return ExitCodes.OK;
      case 'version':
        io.stdout.write(`${readVersion()}\n`);
        return ExitCodes.OK;
      case 'demo':
        return await runDemo(command, io);
      case 'live':
        return await runLive(command, io);
      case 'doctor':
        return await runDoctor(command, io);
      case 'doctor-help':
        io.stdout.write(doctorHelpText());
        return ExitCodes.OK;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`qqbot-connector: ${err.message}\n`);
      return ExitCodes.USAGE;
    }
    io.stderr.write(
      `qqbot-connector: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return ExitCodes.FATAL;
  }
}
