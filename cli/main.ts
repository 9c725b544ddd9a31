/** Entry point: `npm run cli -- <command>` or the `arbiter` bin. */
import { runCli } from './run-cli';

process.exitCode = await runCli(process.argv.slice(2));
