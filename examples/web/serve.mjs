// Serves the door-check page on 127.0.0.1 (never on other interfaces): the page from this
// folder, the WASM package from bindings-wasm/pkg/web under /pkg/. Build the package first with
// scripts/wasm.
//
//   node examples/web/serve.mjs [PORT]      (default 8080; 0 picks a free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = { '/pkg/': path.join(here, '../../bindings-wasm/pkg/web'), '/': here };
const types = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json',
};

export function serve(port = 8080) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const route = Object.keys(roots).find((r) => url.pathname.startsWith(r));
    const rel = url.pathname.slice(route.length) || 'index.html';
    const file = path.join(roots[route], rel);
    // Only files under the two roots, and only of the known types.
    if (!file.startsWith(roots[route] + path.sep) || !types[path.extname(file)]) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)], 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? 8080));
  console.log(`door-check page on http://127.0.0.1:${server.address().port}/`);
}
