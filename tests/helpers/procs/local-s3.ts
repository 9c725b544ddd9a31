// An S3-compatible server (s3rver) for tests, in a process of its own so that its memory and CPU are not
// the test's: argv = <folder for the objects> <bucket>. Prints {"port":N} once it listens on 127.0.0.1
// (a port the system picked), and serves until SIGTERM.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) throw new Error('usage: local-s3.ts <directory> <bucket>');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
console.log(JSON.stringify({ port }));
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
