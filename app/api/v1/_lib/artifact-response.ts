/**
 * Downloads of artifacts, streamed from the artifact store (a folder, or a bucket on another host) to the
 * client: the store's Node stream becomes the response's web stream (Readable.toWeb), so no artifact is
 * ever read whole into the web process's memory, however large.
 */
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { artifactStore } from '@/lib/artifacts';

/** One stored file as the response body. */
export async function artifactResponse(key: string, headers: { size: number; contentType: string; filename?: string }): Promise<Response> {
  const stream = await artifactStore().open(key);
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    headers: {
      'content-type': headers.contentType,
      'content-length': String(headers.size),
      ...(headers.filename ? { 'content-disposition': `attachment; filename="${headers.filename.replaceAll('/', '_').replaceAll('"', '')}"` } : {}),
    },
  });
}

/**
 * Stored files as one zip (`folder/<name>` each), streamed: each file is opened only when the zip reaches
 * it (yazl's lazy entries), so one file's stream at a time is open, not all of them while they wait. A file
 * that fails midway ends the response with an error; callers check the files exist before answering.
 */
export function artifactZipResponse(files: { key: string; name: string }[], folder: string): Response {
  const store = artifactStore();
  const zip = new yazl.ZipFile();
  for (const file of files) {
    zip.addReadStreamLazy(`${folder}/${file.name}`, (done) => {
      store.open(file.key).then(
        (stream) => done(null, stream),
        (error: unknown) => done(error, null as unknown as NodeJS.ReadableStream),
      );
    });
  }
  zip.end();
  const output = zip.outputStream as Readable;
  // yazl reports a failed entry on the ZipFile; the client then sees the download break off, never a truncated zip passed as whole.
  zip.on('error', (error: Error) => output.destroy(error));
  return new Response(Readable.toWeb(output) as ReadableStream, { headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${folder}.zip"` } });
}
