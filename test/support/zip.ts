// Reads a zip's entries from its central directory (the function's zip: stored or deflated).
import { inflateRawSync } from 'node:zlib';

export function unzip(zip: Buffer): Map<string, { data: Buffer; mode: number }> {
  const entries = new Map<string, { data: Buffer; mode: number }>();
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let offset = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const mode = zip.readUInt32LE(offset + 38) >>> 16;
    const local = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressed);
    entries.set(name, { data: method === 8 ? inflateRawSync(raw) : raw, mode });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
