// A Docker authorization plugin that refuses privileged containers, as locked-down
// self-hosted engines do. It speaks the plugin protocol (HTTP on a unix socket in
// /run/docker/plugins) and runs as its own process: dockerd asks it about every API call,
// so it must keep answering while the test process waits on docker synchronously.
// Usage: node authz-no-privileged.mjs <socket>; prints "listening" when ready and one line
// per container create it refused.
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';

const socket = process.argv[2];
if (!socket) throw new Error('usage: authz-no-privileged.mjs <socket>');
const MESSAGE = 'privileged containers are not allowed on this engine';

/** Whether an AuthZReq asks to create a privileged container. */
function asksForPrivileged(request) {
  if (!/\/containers\/create/.test(request.RequestUri ?? '')) return false;
  try {
    const created = JSON.parse(Buffer.from(request.RequestBody ?? '', 'base64').toString('utf8'));
    return created?.HostConfig?.Privileged === true;
  } catch {
    return false; // not a JSON body: not a container create the plugin judges
  }
}

const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    const answer = (value) => {
      response.setHeader('Content-Type', 'application/vnd.docker.plugins.v1+json');
      response.end(JSON.stringify(value));
    };
    if (request.url === '/Plugin.Activate') return answer({ Implements: ['authz'] });
    if (request.url !== '/AuthZPlugin.AuthZReq') return answer({ Allow: true });
    const asked = JSON.parse(body || '{}');
    if (!asksForPrivileged(asked)) return answer({ Allow: true });
    console.log(`refused ${asked.RequestMethod} ${asked.RequestUri}`);
    return answer({ Allow: false, Msg: MESSAGE });
  });
});

rmSync(socket, { force: true });
server.listen(socket, () => console.log('listening'));
const stop = () => {
  server.close();
  server.closeAllConnections();
  rmSync(socket, { force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
