// The redirect listener's answer to a browser's request for a short domain: asked by the
// test on loopback with the browser's own headers (and `extraHeaders`, such as the country
// a trusted proxy adds), and handed back as it came for route.fulfill (a redirect
// unfollowed: the browser then asks for its location).
import { request as httpRequest } from 'node:http';

export function fromRedirectListener(listener, req, extraHeaders = {}) {
  const url = new URL(req.url());
  return new Promise((resolve, reject) => {
    const r = httpRequest({
      host: listener.hostname, port: listener.port, method: req.method(),
      path: url.pathname + url.search,
      headers: { ...req.headers(), host: url.host, ...extraHeaders },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const headers = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode, headers, body: Buffer.concat(chunks) });
      });
    });
    r.on('error', reject);
    r.end(req.postDataBuffer() ?? undefined);
  });
}
