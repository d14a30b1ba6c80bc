// The server a node-process deployment runs when the version has no server.js: serves the
// directory given as the first argument on $HOST:$PORT, logging one line per request.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

const server = createServer(async (request, response) => {
  let status = 404;
  try {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    let file = resolve(join(root, pathname));
    // Never serve anything outside the deployment's directory.
    if (file !== root && !file.startsWith(root + sep)) status = 403;
    else {
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) {
        status = 200;
        response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
        createReadStream(file).pipe(response);
      }
    }
  } catch {
    status = 400;
  }
  if (status !== 200) response.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
  console.log(`${request.method} ${request.url} ${status}`);
});

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1', () => console.log(`listening on ${process.env.HOST}:${process.env.PORT}`));
// Keep-alive sockets would hold server.close() open; a stopped deployment serves nothing more.
process.on('SIGTERM', () => process.exit(0));
