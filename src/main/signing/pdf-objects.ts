/**
 * Just enough PDF reading for verification (ISO 32000-1 §7.3, §7.5): find each `N G obj`,
 * its dictionary text and stream bytes. Later definitions of an object number override earlier
 * ones, as an incremental update does (§7.5.6). Object and xref streams are not read, which
 * suits what we sign (signPdf refuses such files) and makes a file that uses them unverifiable.
 */
import { inflateSync } from 'node:zlib';

/**
 * The most bytes the streams one verification decodes may come to, all together (64 MiB). A
 * report attaches four JSON files of a few MB at most; deflate reaches about 1032:1, so 2 MB of
 * a hostile stream would otherwise inflate to 2 GiB in memory (and take tens of seconds). zlib
 * stops at what is left of this budget (`maxOutputLength`), and the stream is refused.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/** What is left of MAX_INFLATED_BYTES for one verification; `streamBytes` draws on it. */
export interface InflateBudget {
  left: number;
}

export const inflateBudget = (): InflateBudget => ({ left: MAX_INFLATED_BYTES });

/** A stream that decodes to more than its budget allows: a compression bomb, never a report. */
export class StreamTooLarge extends Error {
  override readonly name = 'StreamTooLarge';
}

export interface PdfObject {
  readonly number: number;
  /** Offset of the `N G obj` line. */
  readonly start: number;
  /** Offset just after `endobj` (or the end of the stream data, when `endobj` is missing). */
  readonly end: number;
  /** The dictionary (or other value) text, latin1, up to `stream` or `endobj`. */
  readonly dict: string;
  /** Raw (still filtered) stream bytes, when the object is a stream. */
  readonly stream?: { readonly start: number; readonly end: number };
}

export function readObjects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const find = forwardSearch(text);
  const objects = new Map<number, PdfObject>();
  const header = /(?:^|[\r\n\s])(\d+)\s+(\d+)\s+obj\b/g;
  let match: RegExpExecArray | null;
  while ((match = header.exec(text)) !== null) {
    const start = match.index + match[0].length - match[0].trimStart().length;
    const bodyStart = match.index + match[0].length;
    const endobj = find('endobj', bodyStart);
    const streamAt = find('stream', bodyStart);
    let dict: string;
    let stream: PdfObject['stream'];
    let end: number;
    if (streamAt !== -1 && (endobj === -1 || streamAt < endobj)) {
      dict = text.slice(bodyStart, streamAt);
      // §7.3.8.1: `stream` is followed by CRLF or LF, then exactly /Length bytes.
      let dataStart = streamAt + 'stream'.length;
      if (text[dataStart] === '\r') dataStart += 1;
      if (text[dataStart] === '\n') dataStart += 1;
      const length = Number(/\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict)?.[1] ?? NaN);
      const dataEnd = Number.isFinite(length) ? dataStart + length : find('endstream', dataStart);
      stream = { start: dataStart, end: Math.min(Math.max(dataEnd, dataStart), pdf.length) };
      const after = find('endobj', stream.end);
      end = after === -1 ? stream.end : after + 'endobj'.length;
    } else {
      dict = text.slice(bodyStart, endobj === -1 ? text.length : endobj);
      end = endobj === -1 ? text.length : endobj + 'endobj'.length;
    }
    objects.set(Number(match[1]), { number: Number(match[1]), start, end, dict, stream });
    header.lastIndex = end; // never look for headers inside a stream's binary data
  }
  return objects;
}

/**
 * `text.indexOf(needle, from)` for a reader whose `from` only moves forward: each needle's text
 * is scanned once in all, where plain indexOf would scan to the end of the file again for every
 * object lacking one (a hostile file of a million `N 0 obj` without `stream` or `endobj` took
 * hours).
 */
function forwardSearch(text: string): (needle: string, from: number) => number {
  const last = new Map<string, { from: number; at: number }>();
  return (needle, from) => {
    const known = last.get(needle);
    // The first hit at or after an earlier `from` is also the first at or after a later one,
    // unless the later `from` has passed it; none after an earlier `from` means none after.
    if (known !== undefined && from >= known.from && (known.at === -1 || known.at >= from))
      return known.at;
    const at = text.indexOf(needle, from);
    last.set(needle, { from, at });
    return at;
  };
}

/**
 * The decoded bytes of a stream object: no filter, or FlateDecode (the only one we write),
 * charged to `budget`; a stream that would exceed it is a `StreamTooLarge`, found as soon as
 * zlib reaches the limit, so memory stays within it whatever the stream declares.
 */
export function streamBytes(pdf: Buffer, object: PdfObject, budget: InflateBudget): Buffer {
  if (!object.stream) throw new Error(`object ${object.number} is not a stream`);
  const raw = pdf.subarray(object.stream.start, object.stream.end);
  // §7.3.8.2: /Filter is one name or an array of names (a name list without brackets is not).
  const filter = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(object.dict)?.[1];
  const names = filter?.match(/\/[A-Za-z0-9]+/g) ?? [];
  let data: Buffer;
  if (filter === undefined) {
    if (raw.length > budget.left) throw new StreamTooLarge(`object ${object.number}`);
    data = Buffer.from(raw);
  } else if (names.length === 1 && names[0] === '/FlateDecode') {
    try {
      data = inflateSync(raw, { maxOutputLength: Math.max(1, budget.left) });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new StreamTooLarge(`object ${object.number}`);
      throw error;
    }
    if (data.length > budget.left) throw new StreamTooLarge(`object ${object.number}`);
  } else {
    throw new Error(`object ${object.number}: unsupported stream filter ${filter.trim()}`);
  }
  budget.left -= data.length;
  return data;
}

/** The value text of `/Key` in a dictionary: a string `( … )`, `<hex>`, name or number. */
export function dictString(dict: string, key: string): string | undefined {
  const at = new RegExp(`/${key}\\s*(\\(|<(?!<))`).exec(dict);
  if (!at) return undefined;
  const open = at.index + at[0].length - 1;
  return dict[open] === '(' ? literalString(dict, open) : hexString(dict, open);
}

/** An indirect reference `/Key N G R` in a dictionary. */
export function dictRef(dict: string, key: string): number | undefined {
  const match = new RegExp(`/${key}\\s+(\\d+)\\s+\\d+\\s+R`).exec(dict);
  return match ? Number(match[1]) : undefined;
}

/** §7.3.4.2 literal string starting at `(`: balanced parentheses and backslash escapes. */
function literalString(text: string, open: number): string {
  const bytes: number[] = [];
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[++i] ?? '';
      const octal = /^[0-7]{1,3}/.exec(text.slice(i, i + 3));
      if (octal) {
        bytes.push(parseInt(octal[0], 8) & 0xff);
        i += octal[0].length - 1;
      } else if (next === '\r' || next === '\n') {
        if (next === '\r' && text[i + 1] === '\n') i++; // a line continuation
      } else {
        const escapes: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12 };
        bytes.push(escapes[next] ?? next.charCodeAt(0));
      }
      continue;
    }
    if (c === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (c === ')') {
      depth--;
      if (depth === 0) break;
    }
    bytes.push(c.charCodeAt(0));
  }
  return decodeTextString(Buffer.from(bytes));
}

function hexString(text: string, open: number): string {
  const close = text.indexOf('>', open);
  const hex = text.slice(open + 1, close === -1 ? undefined : close).replace(/\s+/g, '');
  return decodeTextString(Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex'));
}

/** §7.9.2.2 text strings: UTF-16BE with a byte-order mark, else PDFDocEncoding (≈ latin1). */
function decodeTextString(bytes: Buffer): string {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return bytes.toString('latin1');
}
