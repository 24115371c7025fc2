// A forward proxy on 127.0.0.1 for the proxied e2e runs: CONNECT tunnels (HTTPS) and
// absolute-form requests (plain HTTP), as corporate proxies take them. It only reaches names
// that resolve to 127.0.0.1 here (/etc/hosts: the cloud stand-ins), so test traffic stays on
// this machine, and it records each request with the local port of its upstream connection:
// the stand-ins record the port each request came from, and the two lists together say which
// requests went through the proxy.
import * as http from 'node:http';
import * as net from 'node:net';
import { lookup } from 'node:dns/promises';

/** Connects to `host:port` if the name is one of this machine's (127.0.0.1), else rejects. */
async function connectLocal(host, port) {
  const { address } = await lookup(host, { family: 4 });
  if (address !== '127.0.0.1') throw new Error(`${host} is not a test host (it resolves to ${address})`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, address, () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function startRecordingProxy() {
  /** { kind: 'connect' | 'http', target: 'host:port', method?, path?, upstreamPort?, refused? } */
  const requests = [];
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const server = http.createServer(async (request, response) => {
    let target;
    try {
      target = new URL(request.url ?? '');
    } catch {
      return response.writeHead(400).end('absolute-form requests only');
    }
    const port = Number(target.port || 80);
    const entry = { kind: 'http', target: `${target.hostname}:${port}`, method: request.method, path: target.pathname };
    requests.push(entry);
    let upstreamSocket;
    try {
      upstreamSocket = await connectLocal(target.hostname, port);
    } catch (error) {
      entry.refused = error.message;
      return response.writeHead(502).end(error.message);
    }
    track(upstreamSocket);
    entry.upstreamPort = upstreamSocket.localPort;
    const headers = { ...request.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = http.request({ createConnection: () => upstreamSocket, method: request.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });

  server.on('connect', async (request, client, head) => {
    track(client);
    const match = /^(.+):(\d+)$/.exec(request.url ?? '');
    const entry = { kind: 'connect', target: request.url ?? '' };
    requests.push(entry);
    client.on('error', () => undefined);
    let upstream;
    try {
      if (!match) throw new Error('CONNECT needs host:port');
      upstream = await connectLocal(match[1], Number(match[2]));
    } catch (error) {
      entry.refused = error.message;
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    track(upstream);
    entry.upstreamPort = upstream.localPort;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    /** The local ports of every upstream connection the proxy made. */
    upstreamPorts: () => new Set(requests.map((entry) => entry.upstreamPort).filter(Boolean)),
    clear: () => requests.splice(0),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
