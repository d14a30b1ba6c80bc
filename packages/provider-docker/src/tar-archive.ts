/** One regular file of a tar archive. */
export interface TarEntry {
  /** A relative path with `/` separators. */
  path: string;
  content: Uint8Array;
  /** Permission bits. Default 0o644. */
  mode?: number;
}

const block = 512;

/**
 * A POSIX (ustar) tar archive of `entries`, as the Engine API takes a build context. Paths
 * longer than ustar's 100 bytes get a PAX `path` record. Owner root, mtime 0: the same files
 * always make the same archive, so the builder's cache keys depend on content alone.
 */
export function createTarArchive(entries: ReadonlyArray<TarEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = Buffer.from(entry.path, 'utf8');
    if (name.byteLength > 100) {
      const record = paxRecord('path', entry.path);
      parts.push(header({ name: Buffer.from(`PaxHeaders/${entry.path.slice(-80)}`.slice(0, 99), 'utf8'), size: record.byteLength, mode: 0o644, type: 'x' }), padded(record));
    }
    parts.push(header({ name: name.byteLength > 100 ? name.subarray(0, 100) : name, size: entry.content.byteLength, mode: entry.mode ?? 0o644, type: '0' }), padded(Buffer.from(entry.content)));
  }
  parts.push(Buffer.alloc(block * 2));
  return Buffer.concat(parts);
}

function header(input: { name: Buffer; size: number; mode: number; type: '0' | 'x' }): Buffer {
  const buffer = Buffer.alloc(block);
  input.name.copy(buffer, 0);
  octal(buffer, 100, 8, input.mode);
  octal(buffer, 108, 8, 0);
  octal(buffer, 116, 8, 0);
  octal(buffer, 124, 12, input.size);
  octal(buffer, 136, 12, 0);
  buffer.fill(0x20, 148, 156);
  buffer.write(input.type, 156, 'ascii');
  buffer.write('ustar\u000000', 257, 'ascii');
  buffer.write('root', 265, 'ascii');
  buffer.write('root', 297, 'ascii');
  let sum = 0;
  for (const byte of buffer) sum += byte;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return buffer;
}

function octal(buffer: Buffer, offset: number, length: number, value: number): void {
  buffer.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, 'ascii');
}

function padded(content: Buffer): Buffer {
  const rest = content.byteLength % block;
  return rest === 0 ? content : Buffer.concat([content, Buffer.alloc(block - rest)]);
}

/** A PAX record: `<length> <key>=<value>\n`, where the length counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body, 'utf8');
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return Buffer.from(`${length}${body}`, 'utf8');
}
