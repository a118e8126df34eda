// Zips that are the same bytes for the same files: fixed order, timestamps and modes. The
// build makes the function's zip with this, and setup adds a stack's CA to it the same way,
// so an unchanged function is never uploaded again.

import yazl from 'yazl';

export function deterministicZip(entries: Array<[name: string, data: Buffer]>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  // Local-time constructor: the DOS date fields come out the same in every time zone.
  const mtime = new Date(2000, 0, 1, 0, 0, 0);
  for (const [name, data] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    zip.addBuffer(data, name, { mtime, mode: 0o100644, compressionLevel: 9, forceDosTimestamp: true });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}
