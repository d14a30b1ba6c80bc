import { connect } from 'node:net';

/** What a raw HTTP exchange gave back: the status, the headers and the body, or how the socket ended. */
export interface RawAnswer {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from connecting to the end of the answer. */
  elapsedMs: number;
  /** A socket error, e.g. EPIPE or ECONNRESET. */
  error: string | null;
}

/**
 * Sends bytes to a server over a plain TCP socket, as a broken or hostile client would (huge
 * headers, a malformed chunked body, a body that stops), and reads what comes back until the
 * server closes the connection or `timeoutMs` passes. `then` is written after `delayMs`.
 */
export function rawHttp(input: { port: number; send: string | Buffer; then?: { delayMs: number; send: string | Buffer }; timeoutMs?: number }): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let error: string | null = null;
    const socket = connect(input.port, '127.0.0.1');
    const finish = () => {
      clearTimeout(timer);
      // The first answer only (a server may answer, then time the unread request out).
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      const head = (split === -1 ? data : data.subarray(0, split)).toString('utf8');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine);
      const rest = split === -1 ? Buffer.alloc(0) : data.subarray(split + 4);
      const length = Number(headers['content-length']);
      const body = (Number.isFinite(length) ? rest.subarray(0, length) : rest).toString('utf8');
      resolve({ status: match ? Number(match[1]) : null, headers, body, elapsedMs: Date.now() - started, error });
    };
    const timer = setTimeout(() => {
      socket.destroy();
    }, input.timeoutMs ?? 5000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => {
      error = failure.code ?? failure.message;
    });
    socket.on('close', finish);
    socket.write(input.send);
    if (input.then) {
      const later = input.then;
      setTimeout(() => {
        if (!socket.destroyed) socket.write(later.send);
      }, later.delayMs);
    }
  });
}
