// A local GitHub Actions cache service (the v1 REST protocol @actions/cache speaks when
// ACTIONS_CACHE_SERVICE_V2 is not set) on 127.0.0.1, so `cache: local` is proven through the
// real @actions/cache library: reserve, chunked upload (PATCH with Content-Range), commit,
// lookup by key and restore keys, download. Bearer token checked; every request recorded.
import { createServer } from 'node:http';

export async function startCacheService({ token = 'cache-runtime-token' } = {}) {
  const entries = [];
  const requests = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    requests.push({ method: request.method, path: url.pathname, search: url.search });
    const json = (status, value) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(value === undefined ? '' : JSON.stringify(value));
    };
    if (url.pathname.startsWith('/download/')) {
      const entry = entries.find((candidate) => String(candidate.id) === url.pathname.split('/').pop() && candidate.committed);
      if (!entry) return json(404, { message: 'no such cache' });
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.data.length });
      return response.end(entry.data);
    }
    if (request.headers.authorization !== `Bearer ${token}`) return json(401, { message: 'bad runtime token' });
    const api = url.pathname.replace(/^\/_apis\/artifactcache\//, '');
    if (request.method === 'GET' && api === 'cache') {
      // @actions/cache encodes the comma-joined keys once more than URLSearchParams decodes.
      const keys = decodeURIComponent(url.searchParams.get('keys') ?? '').split(',');
      const version = url.searchParams.get('version');
      const committed = entries.filter((entry) => entry.committed && entry.version === version);
      // The primary key must match exactly; the restore keys are prefixes, newest first.
      const hit =
        committed.find((entry) => entry.key === keys[0]) ??
        keys
          .slice(1)
          .map((prefix) => committed.filter((entry) => entry.key.startsWith(prefix)).pop())
          .find(Boolean);
      if (!hit) return json(204);
      const base = `http://127.0.0.1:${server.address().port}`;
      return json(200, { cacheKey: hit.key, scope: 'refs/heads/main', cacheVersion: hit.version, archiveLocation: `${base}/download/${hit.id}` });
    }
    if (request.method === 'POST' && api === 'caches') {
      const { key, version } = JSON.parse(body.toString('utf8'));
      if (entries.some((entry) => entry.key === key && entry.version === version)) return json(409, { message: 'cache already exists' });
      const entry = { id: entries.length + 1, key, version, parts: [], committed: false, data: Buffer.alloc(0) };
      entries.push(entry);
      return json(201, { cacheId: entry.id });
    }
    const match = /^caches\/(\d+)$/.exec(api);
    const entry = match && entries.find((candidate) => candidate.id === Number(match[1]));
    if (!entry) return json(404, { message: 'no such cache' });
    if (request.method === 'PATCH') {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(request.headers['content-range'] ?? '');
      if (!range || Number(range[2]) - Number(range[1]) + 1 !== body.length) return json(400, { message: 'bad Content-Range' });
      entry.parts.push({ start: Number(range[1]), data: body });
      return json(204);
    }
    if (request.method === 'POST') {
      const { size } = JSON.parse(body.toString('utf8'));
      entry.parts.sort((a, b) => a.start - b.start);
      entry.data = Buffer.concat(entry.parts.map((part) => part.data));
      if (entry.data.length !== size) return json(400, { message: `size ${entry.data.length} is not ${size}` });
      entry.committed = true;
      return json(204);
    }
    return json(405, { message: 'unsupported' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    env: { ACTIONS_CACHE_URL: `http://127.0.0.1:${server.address().port}/`, ACTIONS_RUNTIME_TOKEN: token },
    entries,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
