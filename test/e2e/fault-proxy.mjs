// A fault-injecting HTTP reverse proxy on 127.0.0.1 in front of the real registry, for
// the end-to-end fault tests. Node built-ins only. Bodies stream both ways (blob uploads
// are large chunked PATCH/PUT), headers pass through (Authorization, Location, ...), and
// absolute URLs that name the upstream (Location, a WWW-Authenticate realm) are rewritten
// to the proxy's own address so clients keep talking to the proxy.
//
//   const proxy = await startFaultProxy();            // upstream http://127.0.0.1:5000
//   proxy.address                                     // '127.0.0.1:<port>': use it as a registry host
//   proxy.setMode({ fail503: 3, match: /^(PUT|PATCH|POST) / });
//   ... run something against proxy.address ...
//   proxy.requests                                    // [{ time, ms, method, path, status, fault, ... }]
//   await proxy.close();
//
// A mode is one rule, or an array of rules (each with its own counters). setMode restarts
// every counter. A rule:
//   {}                          pass everything through
//   { fail503: N }              the first N matching requests get 503 UNAVAILABLE
//   { reset: N }                the first N matching requests get their TCP connection reset
//   { delayMs: D }              every matching request waits D ms before it is forwarded
//   { status401: true }         every matching request gets 401 with WWW-Authenticate: Basic realm="x"
//   { status429: N, retryAfter: S }  the first N matching requests get 429 with Retry-After: S
//       strict: true            ... and, like a real rate limiter, so does every matching request
//                               that comes back before those S seconds have passed
//   { downAfter: N }            after N matching requests the proxy goes down: the listening
//                               socket closes (new connections are refused) and every open
//                               connection is destroyed. proxy.up() brings it back on the same port.
//   match: RegExp | string      only requests whose `${method} ${path}` matches are affected
//                               and counted (default: all requests)
//   agent: RegExp | string      ... and whose User-Agent matches (e.g. /^(?!.*buildkit)/)
// Within a rule the checks run in the order down, 401, reset, 503, 429, delay; across
// rules every matching rule counts the request and the first one that injects a fault wins.
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';

// Hop-by-hop headers (RFC 9110 7.6.1): not forwarded; Node frames bodies itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function registryError(code, message) {
  return JSON.stringify({ errors: [{ code, message, detail: 'injected by the fault proxy' }] });
}

function toRegExp(pattern) {
  if (pattern === undefined) return undefined;
  return pattern instanceof RegExp ? new RegExp(pattern.source, pattern.flags.replace('g', '').replace('y', '')) : new RegExp(pattern);
}

function compileRule(rule) {
  return { ...rule, matchRegExp: toRegExp(rule.match), agentRegExp: toRegExp(rule.agent), seen: 0, windowUntil: 0 };
}

/**
 * Starts the proxy. options: { upstream = 'http://127.0.0.1:5000', host = '127.0.0.1', port = 0, mode }
 */
export async function startFaultProxy(options = {}) {
  const upstream = new URL(options.upstream ?? 'http://127.0.0.1:5000');
  if (upstream.protocol !== 'http:') throw new Error(`fault proxy: upstream must be http://, not ${upstream.href}`);
  const upstreamHost = upstream.host; // host:port
  const listenHost = options.host ?? '127.0.0.1';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set();
  const delays = new Set(); // pending { timer, resolve } of delayed requests, cut short by close()
  const started = performance.now();
  /** Every request seen, in arrival order. */
  const requests = [];
  let rules = [];
  let down = false;
  let closed = false;
  let port = options.port ?? 0;
  let clientErrors = 0;

  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Bytes that are not HTTP get a 400, as Node's and Go's servers answer: dockerd and
  // buildkit may try TLS first on 127.0.0.1 registries and fall back to plain HTTP only
  // when the answer to their TLS hello looks like HTTP (a bare close looks like a broken TLS server).
  server.on('clientError', (error, socket) => {
    clientErrors++;
    if (socket.writable && error.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const address = () => `${listenHost}:${port}`;
  const escapedUpstream = upstreamHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  function rewriteUrl(value) {
    // Absolute URLs naming the upstream become URLs naming the proxy; relative ones stay.
    return value.replace(new RegExp(`^(https?://)${escapedUpstream}(?=[/?#]|$)`, 'i'), `$1${address()}`);
  }

  function responseHeaders(upstreamResponse) {
    const headers = {};
    for (const [name, value] of Object.entries(upstreamResponse.headers)) {
      if (HOP_BY_HOP.has(name) || value === undefined) continue;
      if (name === 'location' || name === 'content-location') headers[name] = rewriteUrl(String(value));
      else if (name === 'www-authenticate') {
        const values = Array.isArray(value) ? value : [value];
        headers[name] = values.map((text) => text.replace(/realm="([^"]*)"/i, (_, realm) => `realm="${rewriteUrl(realm)}"`));
      } else headers[name] = value;
    }
    return headers;
  }

  const killed = new WeakSet(); // sockets we cut (as opposed to clients hanging up)
  function destroyHard(socket) {
    killed.add(socket);
    // A TCP RST where the platform allows it (what a crashed server looks like), else a plain close.
    if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) {
      try {
        socket.resetAndDestroy();
        return;
      } catch {
        // fall through to destroy()
      }
    }
    socket.destroy();
  }

  function goDown() {
    if (down) return;
    down = true;
    server.close();
    for (const socket of sockets) destroyHard(socket);
    for (const delay of delays) delay.cancel();
  }

  function respond(req, res, record, status, headers, body) {
    req.resume(); // drain an upload we are refusing, so the connection stays usable
    record.status = status;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Docker-Distribution-Api-Version': 'registry/2.0',
      'Content-Length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Waits, unless the socket closes first (the client gave up) or the delays are flushed. */
  function wait(milliseconds, socket) {
    return new Promise((resolve) => {
      const delay = {
        cancel: () => {
          clearTimeout(delay.timer);
          delays.delete(delay);
          socket.off('close', delay.cancel);
          resolve();
        },
      };
      delay.timer = setTimeout(delay.cancel, milliseconds);
      delays.add(delay);
      socket.on('close', delay.cancel);
    });
  }

  /** What the rules do with this request: the first fault, plus any delay. */
  function decide(req, now) {
    const target = `${req.method} ${req.url}`;
    const agentHeader = String(req.headers['user-agent'] ?? '');
    let fault;
    let delayMs = 0;
    for (const rule of rules) {
      if (rule.matchRegExp && !rule.matchRegExp.test(target)) continue;
      if (rule.agentRegExp && !rule.agentRegExp.test(agentHeader)) continue;
      const index = rule.seen++; // 0-based among this rule's matching requests
      if (fault) continue;
      if (rule.downAfter !== undefined && index >= rule.downAfter) fault = { kind: 'down' };
      else if (rule.status401) fault = { kind: '401' };
      else if (rule.reset !== undefined && index < rule.reset) fault = { kind: 'reset' };
      else if (rule.fail503 !== undefined && index < rule.fail503) fault = { kind: '503' };
      else if (rule.status429 !== undefined && (rule.fired429 ?? 0) < rule.status429) {
        rule.fired429 = (rule.fired429 ?? 0) + 1;
        const seconds = rule.retryAfter ?? 0;
        rule.windowUntil = Math.max(rule.windowUntil, now + seconds * 1000);
        fault = { kind: '429', retryAfter: rule.retryAfter === undefined ? undefined : String(rule.retryAfter) };
      } else if (rule.status429 !== undefined && rule.strict && now < rule.windowUntil) {
        fault = { kind: '429', retryAfter: String(Math.ceil((rule.windowUntil - now) / 1000)), early: true };
      } else if (rule.delayMs) delayMs = Math.max(delayMs, rule.delayMs);
    }
    return { fault, delayMs };
  }

  async function handle(req, res) {
    const now = performance.now() - started;
    const record = {
      time: Date.now(),
      ms: now,
      method: req.method,
      path: req.url,
      status: undefined,
      fault: undefined,
      // Only the scheme: credentials are never recorded.
      authorization: req.headers.authorization ? req.headers.authorization.split(' ')[0] : undefined,
      userAgent: req.headers['user-agent'],
      contentLength: req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']),
    };
    requests.push(record);
    res.on('finish', () => (record.finishedMs = performance.now() - started));

    if (down) {
      // A connection accepted just before the listener closed.
      record.fault = 'down';
      record.status = 'reset';
      destroyHard(req.socket);
      return;
    }
    const { fault, delayMs } = decide(req, now);
    if (fault) {
      record.fault = fault.kind;
      if (fault.early) record.early = true;
      switch (fault.kind) {
        case 'down':
          record.status = 'reset';
          goDown();
          return;
        case 'reset':
          record.status = 'reset';
          destroyHard(req.socket);
          return;
        case '401':
          respond(req, res, record, 401, { 'WWW-Authenticate': 'Basic realm="x"' }, registryError('UNAUTHORIZED', 'authentication required'));
          return;
        case '503':
          respond(req, res, record, 503, {}, registryError('UNAVAILABLE', 'service unavailable'));
          return;
        case '429':
          respond(req, res, record, 429, fault.retryAfter === undefined ? {} : { 'Retry-After': fault.retryAfter }, registryError('TOOMANYREQUESTS', 'too many requests'));
          return;
        default:
          throw new Error(`fault proxy: unknown fault ${fault.kind}`);
      }
    }
    if (delayMs > 0) {
      record.fault = 'delay';
      req.pause();
      await wait(delayMs, req.socket);
      if (down || req.socket.destroyed) {
        record.status ??= killed.has(req.socket) || down ? 'reset' : 'aborted';
        if (!req.socket.destroyed) destroyHard(req.socket);
        return;
      }
    }
    forward(req, res, record);
  }

  function forward(req, res, record) {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    // The upstream sees itself as the host, like behind any reverse proxy; the absolute
    // URLs it builds from that are rewritten on the way back (responseHeaders).
    headers.host = upstreamHost;
    const upstreamRequest = http.request({ host: upstream.hostname, port: upstream.port || 80, method: req.method, path: req.url, headers, agent }, (upstreamResponse) => {
      record.status = upstreamResponse.statusCode;
      res.writeHead(upstreamResponse.statusCode ?? 502, responseHeaders(upstreamResponse));
      upstreamResponse.pipe(res);
      upstreamResponse.on('error', () => res.destroy());
    });
    upstreamRequest.on('error', (error) => {
      record.upstreamError = error.code ?? error.message;
      if (req.socket.destroyed)
        record.status = killed.has(req.socket) ? 'reset' : 'aborted'; // cut by us or by the client, not the upstream
      else if (!res.headersSent) respond(req, res, record, 502, {}, registryError('UNAVAILABLE', `upstream: ${error.code ?? error.message}`));
      else res.destroy();
    });
    // The client went away (or we went down): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamRequest.destroy();
    });
    req.pipe(upstreamRequest);
  }

  async function listen() {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = server.address().port;
    down = false;
  }

  function setMode(next = {}) {
    rules = (Array.isArray(next) ? next : [next]).map(compileRule);
  }

  await listen();
  setMode(options.mode ?? {});

  return {
    /** '127.0.0.1:<port>': the registry host to use in tags and logins. */
    get address() {
      return address();
    },
    get port() {
      return port;
    },
    get url() {
      return `http://${address()}`;
    },
    upstream: upstream.origin,
    /**
     * Every request seen so far, in arrival order: { time (epoch ms), ms (since start), method, path,
     * status (number, 'reset' when we cut the connection, 'aborted' when the client hung up first),
     * fault ('503' | '429' | '401' | 'reset' | 'down' | 'delay'), early (a strict 429 inside the
     * Retry-After window), authorization (scheme only), userAgent, contentLength, finishedMs, upstreamError }.
     */
    requests,
    /** The current rules with their counters (seen: matching requests so far). */
    get rules() {
      return rules;
    },
    get isDown() {
      return down;
    },
    /** Connections that sent something other than HTTP (e.g. a TLS hello before docker falls back to HTTP). */
    get clientErrors() {
      return clientErrors;
    },
    setMode,
    /** Forgets the recorded requests (the rules and their counters stay). */
    clearRequests() {
      requests.length = 0;
    },
    /** Recorded requests whose `${method} ${path}` matches. */
    requestsMatching(pattern) {
      const regex = toRegExp(pattern);
      return requests.filter((request) => regex.test(`${request.method} ${request.path}`));
    },
    /** Ends every pending delay now: those requests are forwarded (or dropped if their client left). */
    flushDelays() {
      for (const delay of delays) delay.cancel();
    },
    /** Takes the proxy down now (as downAfter does). */
    down: goDown,
    /** Brings a downed proxy back on the same port, with no faults. */
    async up() {
      if (closed) throw new Error('fault proxy: closed');
      if (!down) return;
      setMode({});
      await listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      goDown();
      await new Promise((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      agent.destroy();
    },
  };
}
