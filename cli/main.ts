/** Entry point: `npm run cli -- <command>` or the `arbiter` bin. */
import { loadEnvFiles } from '@/lib/env';
import { runCli } from './run-cli';

loadEnvFiles();

process.exitCode = await runCli(process.argv.slice(2));
