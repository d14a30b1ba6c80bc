/**
 * The file server a static site or single-page app runs in its container:
 * `node serve.mjs <directory> [spa]`, listening on `$PORT` at `$HOST`. It needs nothing but
 * Node (no package, no shell utility), serves only files under `<directory>` (no dotfiles, no
 * `..`), answers `index.html` for a directory, and, in `spa` mode, for any path without a file
 * extension that matches no file (client-side routes); a missing asset stays a 404.
 */
export const staticServerScript = `import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const spa = process.argv[3] === 'spa';
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.avif': 'image/avif',
  '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8', '.xml': 'application/xml', '.wasm': 'application/wasm',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.otf': 'font/otf', '.webmanifest': 'application/manifest+json',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mp3': 'audio/mpeg', '.pdf': 'application/pdf',
};

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fileFor(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\\0') || decoded.split('/').some((part) => part.startsWith('.') && part !== '')) return null;
  const target = resolve(join(root, decoded));
  if (target !== root && !target.startsWith(root + sep)) return null;
  if (isFile(target)) return target;
  const index = join(target, 'index.html');
  return isFile(index) ? index : null;
}

createServer((request, response) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  let file = fileFor(pathname);
  if (!file && spa && extname(pathname) === '' && isFile(join(root, 'index.html'))) file = join(root, 'index.html');
  if (!file) {
    console.error(request.method + ' ' + pathname + ' 404');
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\\n');
    return;
  }
  const headers = { 'content-type': types[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': statSync(file).size, 'x-content-type-options': 'nosniff' };
  response.writeHead(200, headers);
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).on('error', () => response.destroy()).pipe(response);
}).listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1', () => {
  console.log('serving ' + root + ' on http://' + (process.env.HOST || '127.0.0.1') + ':' + process.env.PORT + '/');
});
`;
