import { describe, expect, it } from 'vitest';
import { DOCKER_HUB, normalizeRegistry, parseImageReference, type ImageReference } from '../../src/tags/reference.js';
import { expectInputError } from '../support/inputs.js';

const EXAMPLE = 'ghcr.io/acme/app:1.2.3';
const parse = (text: string): ImageReference => parseImageReference(text, 'tags', EXAMPLE);

describe('normalizeRegistry', () => {
  it.each([
    ['docker.io', DOCKER_HUB],
    ['index.docker.io', DOCKER_HUB],
    ['registry-1.docker.io', DOCKER_HUB],
    ['registry.hub.docker.com', DOCKER_HUB],
    ['https://index.docker.io/v1/', DOCKER_HUB],
    ['https://index.docker.io/v1', DOCKER_HUB],
    ['Docker.IO', DOCKER_HUB],
    ['ghcr.io', 'ghcr.io'],
    ['GHCR.IO', 'ghcr.io'],
    ['https://ghcr.io/', 'ghcr.io'],
    ['http://registry.example.com:5000/v2/', 'registry.example.com:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['quay.io', 'quay.io'],
  ])('%j → %j', (host, expected) => {
    expect(normalizeRegistry(host)).toBe(expected);
  });

  it('is docker.io for Docker Hub', () => {
    expect(DOCKER_HUB).toBe('docker.io');
  });
});

describe('parseImageReference accepts', () => {
  it.each<[string, ImageReference]>([
    ['app', { full: 'app', registry: 'docker.io', repository: 'app' }],
    ['app:1.0', { full: 'app:1.0', registry: 'docker.io', repository: 'app', tag: '1.0' }],
    ['acme/app:latest', { full: 'acme/app:latest', registry: 'docker.io', repository: 'acme/app', tag: 'latest' }],
    ['docker.io/acme/app:1', { full: 'docker.io/acme/app:1', registry: 'docker.io', repository: 'acme/app', tag: '1' }],
    ['index.docker.io/library/nginx:1.27', { full: 'index.docker.io/library/nginx:1.27', registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['ghcr.io/acme/app:1.2.3', { full: 'ghcr.io/acme/app:1.2.3', registry: 'ghcr.io', repository: 'acme/app', tag: '1.2.3' }],
    ['ghcr.io/acme/team/sub/app', { full: 'ghcr.io/acme/team/sub/app', registry: 'ghcr.io', repository: 'acme/team/sub/app' }],
    ['localhost:5000/app:dev', { full: 'localhost:5000/app:dev', registry: 'localhost:5000', repository: 'app', tag: 'dev' }],
    ['localhost/app', { full: 'localhost/app', registry: 'localhost', repository: 'app' }],
    ['registry.example.com:8443/team/app:v1_2', { full: 'registry.example.com:8443/team/app:v1_2', registry: 'registry.example.com:8443', repository: 'team/app', tag: 'v1_2' }],
    ['[::1]:5000/app:x', { full: '[::1]:5000/app:x', registry: '[::1]:5000', repository: 'app', tag: 'x' }],
    ['Registry.Example.com/app', { full: 'Registry.Example.com/app', registry: 'registry.example.com', repository: 'app' }],
    ['ghcr.io/acme/my-app_x.y__z:V1.2.3-RC_1', { full: 'ghcr.io/acme/my-app_x.y__z:V1.2.3-RC_1', registry: 'ghcr.io', repository: 'acme/my-app_x.y__z', tag: 'V1.2.3-RC_1' }],
    ['ghcr.io/acme/a--b:_x', { full: 'ghcr.io/acme/a--b:_x', registry: 'ghcr.io', repository: 'acme/a--b', tag: '_x' }],
    ['  ghcr.io/acme/app:1  ', { full: 'ghcr.io/acme/app:1', registry: 'ghcr.io', repository: 'acme/app', tag: '1' }],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:sha-0ab3b6c',
      { full: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:sha-0ab3b6c', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'app', tag: 'sha-0ab3b6c' },
    ],
  ])('%j', (text, expected) => {
    expect(parse(text)).toStrictEqual(expected);
  });

  it('accepts a 128-character tag', () => {
    expect(parse(`ghcr.io/acme/app:${'a'.repeat(128)}`).tag).toHaveLength(128);
  });

  it('accepts a name of exactly 255 characters (registry/repository)', () => {
    const repository = 'a'.repeat(255 - 'ghcr.io/'.length);
    expect(parse(`ghcr.io/${repository}:1`).repository).toBe(repository);
  });
});

describe('parseImageReference rejects', () => {
  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['ghcr.io/acme/app:1.2 3', 'it contains whitespace'],
    ['ghcr.io/acme/app:1\tlatest', 'it contains whitespace'],
    ['ghcr.io/acme/app@sha256:' + 'a'.repeat(64), 'a digest (@sha256:...) cannot be a tag to push to'],
    ['ghcr.io/acme/app:1@sha256:' + 'a'.repeat(64), 'a digest'],
    ['ghcr.io/Acme/app:1', 'repository names must be lowercase'],
    ['ghcr.io/acme/App', 'repository names must be lowercase'],
    ['Acme/app', 'repository names must be lowercase'],
    ['ghcr.io/acme/app:1+build', 'the tag "1+build" must be 1 to 128'],
    ['ghcr.io/acme/app:-1', 'the tag "-1"'],
    ['ghcr.io/acme/app:.1', 'the tag ".1"'],
    ['ghcr.io/acme/app:', 'the tag ""'],
    ['ghcr.io/acme/app:a:b', 'is not a valid path component'],
    [`ghcr.io/acme/app:${'a'.repeat(129)}`, 'must be 1 to 128'],
    ['ghcr.io/', 'the repository name is missing'],
    ['ghcr.io/:1', 'the repository name is missing'],
    [':1', 'the repository name is missing'],
    ['ghcr.io/acme//app', '"" is not a valid path component'],
    ['ghcr.io/acme/app/', '"" is not a valid path component'],
    ['ghcr.io/acme/-app', '"-app" is not a valid path component'],
    ['ghcr.io/acme/app-', '"app-" is not a valid path component'],
    ['ghcr.io/acme/a...b', '"a...b" is not a valid path component'],
    ['ghcr.io/acme/a___b', '"a___b" is not a valid path component'],
    ['ghcr.io/acme/a!b', '"a!b" is not a valid path component'],
    ['my_registry.io/app', '"my_registry.io" is not a valid registry host'],
    ['-ghcr.io/app', '"-ghcr.io" is not a valid registry host'],
    ['ghcr.io:port/app', '"ghcr.io:port" is not a valid registry host'],
    [`ghcr.io/${'a'.repeat(250)}`, 'the name is longer than 255 characters'],
  ])('%j: %s', (text, problem) => {
    const error = expectInputError(() => parse(text), 'tags');
    expect(error.message).toContain('is not a valid image reference');
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`Example of a valid value: ${EXAMPLE}`);
  });

  it('names the input and example it is given', () => {
    const error = expectInputError(() => parseImageReference('BAD', 'cache-image', 'ghcr.io/acme/cache'), 'cache-image');
    expect(error.message).toContain('Example of a valid value: ghcr.io/acme/cache');
  });
});
