#!/usr/bin/env node
import { run } from './run.js';

// Set the exit code and let the process end by itself once every thread and socket is closed.
process.exitCode = await run(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
