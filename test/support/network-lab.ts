// A small network for unit tests of the step's HTTP clients, all on 127.0.0.1: a throwaway CA
// and a TLS certificate for names under .proxy.test, HTTPS servers for them, and a CONNECT
// proxy that records every tunnel it opens. Names under .test resolve to 127.0.0.1 for this
// process (dns.lookup), and the CA is trusted by every tls.connect: the stand-ins for
// /etc/hosts and NODE_EXTRA_CA_CERTS (read only at start) that the e2e cloud tests use.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import tls from 'node:tls';

export const LAB_DOMAIN = 'proxy.test';

export interface Certificate {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A CA and a server certificate for `hostnames`, made with openssl in a temporary folder. */
export function makeCertificate(hostnames: readonly string[]): Certificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'build-push-lab-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=build-push unit test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hostnames[0] ?? LAB_DOMAIN}`]);
    writeFileSync(path.join(dir, 'server.ext'), `subjectAltName=${hostnames.map((name) => `DNS:${name}`).join(',')}\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
    const read = (name: string): string => readFileSync(path.join(dir, name), 'utf8');
    return { ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves names under .test to 127.0.0.1 and trusts `ca` in this process; returns the undo. */
export function joinLabNetwork(ca: string): () => void {
  const lookup = dns.lookup;
  const connect = tls.connect;
  const labLookup = function (this: unknown, hostname: string, options: unknown, callback?: unknown): void {
    const [opts, done] = typeof options === 'function' ? [{}, options] : [options, callback];
    if (!hostname.endsWith('.test')) return void (lookup as (...args: unknown[]) => void).call(this, hostname, opts, done);
    const all = typeof opts === 'object' && opts !== null && (opts as { all?: boolean }).all;
    process.nextTick(() => (all ? (done as (...args: unknown[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : (done as (...args: unknown[]) => void)(null, '127.0.0.1', 4)));
  };
  dns.lookup = labLookup as typeof dns.lookup;
  const roots = [...tls.rootCertificates, ca];
  tls.connect = function (...args: unknown[]) {
    const options = args.find((arg): arg is tls.ConnectionOptions => typeof arg === 'object' && arg !== null);
    if (options && options.ca === undefined) options.ca = roots;
    return (connect as (...inner: unknown[]) => tls.TLSSocket)(...args);
  } as typeof tls.connect;
  return () => {
    dns.lookup = lookup;
    tls.connect = connect;
  };
}

export interface LabServer {
  readonly port: number;
  close(): Promise<void>;
}

export type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 with the lab certificate; `handler` gets each request with its whole body. */
export async function startHttpsServer(certificate: Certificate, handler: Handler): Promise<LabServer> {
  const server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY. */
  readonly url: string;
  /** `host:port` of every CONNECT, in order. */
  readonly tunnels: string[];
  /** Requests sent to the proxy as plain HTTP (absolute URLs): refused, and recorded to show they happened. */
  readonly plain: string[];
  /** Proxy-Authorization headers received. */
  readonly authorizations: string[];
  close(): Promise<void>;
}

/** A CONNECT proxy on 127.0.0.1 that tunnels to names under .test (on 127.0.0.1) and records each tunnel. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const plain: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((request, response) => {
    plain.push(`${request.method} ${request.url}`);
    response.writeHead(502).end('this proxy only tunnels');
  });
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? '';
    tunnels.push(target);
    if (request.headers['proxy-authorization']) authorizations.push(request.headers['proxy-authorization']);
    const match = /^([^:]+\.test):(\d+)$/.exec(target);
    if (!match) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = netConnect(Number(match[2]), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => (socket === client ? upstream : client).destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    plain,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
