/**
 * Zip-bomb checks for container formats (.docx), before any library unpacks the archive. A
 * .docx of 300 KB can hold 300 MB of XML; mammoth (through jszip) would inflate and parse it
 * all, for gigabytes of memory. So: the sizes the central directory declares (APPNOTE.TXT
 * §4.3.12) for the XML parts (what mammoth parses; images and other media are never unpacked
 * for the text) must total within the unpacked limit, and each deflated XML part is inflated
 * here once with its declared size as a hard cap (zlib's `maxOutputLength` stops the inflation
 * there), so an archive that lies about its sizes is refused too. Archives this cannot parse are left to
 * the format's reader, which reports them as not a zip archive.
 */
import { inflateRawSync } from 'node:zlib';
import { UserInputError } from '../../../shared/errors.ts';
import { checkUnpackedSize, type DocumentLimits } from '../limits.ts';

interface CentralEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65,535 (§4.3.16). */
const END_SEARCH = 22 + 0xffff;

export function checkZipInflation(bytes: Uint8Array, path: string, limits: DocumentLimits): void {
  const entries = centralDirectory(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  )?.filter((e) => /\.(xml|rels)$/i.test(e.name));
  if (entries === undefined) return;
  // 0xFFFFFFFF marks a ZIP64 size: over any limit this could hold, so refused by the sum.
  const declared = entries.reduce((n, e) => n + e.size, 0);
  checkUnpackedSize(path, declared, limits);
  for (const entry of entries) {
    if (entry.method !== 8) continue; // stored entries are their size; others fail in the reader
    const data = entryData(bytes, entry);
    if (data === null) return;
    try {
      inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return; // corrupt: the reader says so
      throw new UserInputError(
        path,
        `its part ${entry.name} unpacks to more than the ${entry.size} bytes its zip directory ` +
          'declares (a zip bomb?); re-save it from Word as .docx or convert it to text',
      );
    }
  }
}

function centralDirectory(zip: Buffer): CentralEntry[] | null {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - END_SEARCH); i--)
    if (zip.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  if (end === -1) return null;
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: CentralEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== DIRECTORY_ENTRY) return null;
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, Math.min(zip.length, at + 46 + nameLength)),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + skip;
  }
  return entries;
}

/** An entry's compressed bytes, found through its local header (§4.3.7). */
function entryData(zip: Uint8Array, entry: CentralEntry): Uint8Array | null {
  const view = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const at = entry.localOffset;
  if (at + 30 > view.length || view.readUInt32LE(at) !== LOCAL_HEADER) return null;
  const start = at + 30 + view.readUInt16LE(at + 26) + view.readUInt16LE(at + 28);
  if (start + entry.compressedSize > view.length) return null;
  return zip.subarray(start, start + entry.compressedSize);
}
