import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentContextOf, driverStatusFromSocket, engineSocket } from '../../src/docker/engine-api.js';

describe('engineSocket', () => {
  it.each([
    ['nothing set: the default socket', {}, undefined, '/var/run/docker.sock'],
    ['a unix DOCKER_HOST', { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, undefined, '/run/user/1000/docker.sock'],
    ['a tcp DOCKER_HOST: the CLI knows TLS', { DOCKER_HOST: 'tcp://10.0.0.2:2376' }, undefined, undefined],
    ['an ssh DOCKER_HOST', { DOCKER_HOST: 'ssh://me@builder' }, undefined, undefined],
    ['a context in config.json', {}, 'colima', undefined],
    ['the default context named', {}, 'default', '/var/run/docker.sock'],
    ['DOCKER_CONTEXT wins over config.json', { DOCKER_CONTEXT: 'remote' }, 'default', undefined],
    ['DOCKER_CONTEXT=default over a config context', { DOCKER_CONTEXT: 'default' }, 'colima', '/var/run/docker.sock'],
  ])('%s', (_, env, context, expected) => {
    expect(engineSocket(env, context)).toBe(expected);
  });
});

describe('currentContextOf', () => {
  it('reads currentContext, and nothing from empty, broken or odd config', () => {
    expect(currentContextOf('{"currentContext":"colima","auths":{}}')).toBe('colima');
    expect(currentContextOf('{"currentContext":""}')).toBeUndefined();
    expect(currentContextOf('{"currentContext":3}')).toBeUndefined();
    expect(currentContextOf('{"auths":{}}')).toBeUndefined();
    expect(currentContextOf('not json')).toBeUndefined();
    expect(currentContextOf(undefined)).toBeUndefined();
  });
});

describe('driverStatusFromSocket', () => {
  let dir: string;
  let server: Server;
  let answer: (response: import('node:http').ServerResponse) => void;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'engine-'));
    server = createServer((request, response) => (request.url === '/info' ? answer(response) : response.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'docker.sock'), resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('returns DriverStatus as JSON text from GET /info on the socket', async () => {
    answer = (response) =>
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ServerVersion: '26.1.5', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] }));
    expect(await driverStatusFromSocket(path.join(dir, 'docker.sock'))).toBe('[["driver-type","io.containerd.snapshotter.v1"]]');
  });

  it('gives null for an engine without DriverStatus, undefined for errors (the caller asks the CLI)', async () => {
    answer = (response) => response.writeHead(200).end('{}');
    expect(await driverStatusFromSocket(path.join(dir, 'docker.sock'))).toBe('null');
    answer = (response) => response.writeHead(500).end('{"message":"boom"}');
    expect(await driverStatusFromSocket(path.join(dir, 'docker.sock'))).toBeUndefined();
    answer = (response) => response.writeHead(200).end('<html>');
    expect(await driverStatusFromSocket(path.join(dir, 'docker.sock'))).toBeUndefined();
    expect(await driverStatusFromSocket(path.join(dir, 'missing.sock'))).toBeUndefined();
  });

  it('gives up on a socket that never answers', async () => {
    answer = () => undefined;
    const started = Date.now();
    expect(await driverStatusFromSocket(path.join(dir, 'docker.sock'), 100)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
