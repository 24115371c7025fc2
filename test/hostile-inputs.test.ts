// Hostile and malformed inputs (issue "Reliability and security"): every one either fails
// with our InputError (naming the input, with an example) or is passed to docker as one
// argv element, never through a shell. Plus property tests: no input makes the parsers
// throw anything but InputError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionError, InputError } from '../src/errors.js';
import { splitCommand } from '../src/plan/gate.js';
import { INPUT_NAMES, parseInputs, type InputName } from '../src/plan/inputs.js';
import { makePlan } from '../src/plan/plan.js';
import { parseTagRules } from '../src/tags/rules.js';
import { parseImageReference } from '../src/tags/reference.js';
import { fixtureContext } from './support/context.js';
import { rawInputs } from './support/inputs.js';
import { planRegistries } from '../src/registries/index.js';

const HOST = { planRegistries, architecture: 'amd64', workDir: '/w/build-push-1', env: {}, now: new Date('2026-01-01T00:00:00Z') };
const LONG = 'x'.repeat(70_000);
const SHELL = '$(touch /tmp/pwned); `id` | rm -rf / && echo ${HOME} > /dev/null; \'"\\';

/** [title, inputs, expected: the input named in the InputError, or 'argv' when it must pass as data] */
const CASES: [string, Partial<Record<InputName, string>>, InputName | 'argv'][] = [
  ['tag with a space', { tags: 'ghcr.io/acme/app:1 2' }, 'tags'],
  ['tags separated by spaces', { tags: 'ghcr.io/acme/app:1 ghcr.io/acme/app:2' }, 'tags'],
  ['upper-case image name', { tags: 'ghcr.io/Acme/App:1' }, 'tags'],
  // (An upper-case name in images is lower-cased, as metadata-action does: issue 16.)
  ['tag with shell metacharacters', { tags: `ghcr.io/acme/app:${SHELL}` }, 'tags'],
  ['tag with a newline injection', { tags: 'ghcr.io/acme/app:1\n--push' }, 'tags'],
  ['tag looking like a flag', { tags: '--output=type=local,dest=/' }, 'tags'],
  ['${{ }} in a tag', { tags: 'ghcr.io/acme/app:${{ github.sha }}' }, 'tags'],
  ['digest as a tag', { tags: 'ghcr.io/acme/app@sha256:abc' }, 'tags'],
  ['129-character tag', { tags: `ghcr.io/acme/app:${'a'.repeat(129)}` }, 'tags'],
  ['unknown platform', { platforms: 'linux/sparc' }, 'platforms'],
  ['windows platform', { platforms: 'windows/amd64' }, 'platforms'],
  ['platform with shell', { platforms: `linux/amd64;${SHELL}` }, 'platforms'],
  ['bad push mode', { push: 'maybe' }, 'push'],
  ['boolean with junk', { 'no-cache': 'yes please' }, 'no-cache'],
  ['registry-auth YAML error', { 'registry-auth': '- registry: [unclosed\n  password: hunter2' }, 'registry-auth'],
  ['registry-auth not a list', { 'registry-auth': 'registry: ghcr.io' }, 'registry-auth'],
  ['registry-auth with shell in registry', { 'registry-auth': `- registry: "ghcr.io;${SHELL}"\n  username: u\n  password: p` }, 'registry-auth'],
  ['registry-auth missing password', { 'registry-auth': '- registry: ghcr.io\n  username: u' }, 'registry-auth'],
  ['registry-auth password with newline', { 'registry-auth': '- registry: ghcr.io\n  username: u\n  password: "a\\nb"' }, 'registry-auth'],
  ['build-arg newline injection', { 'build-args': 'A=1\n--output=type=local,dest=/' }, 'build-args'],
  ['build-arg with shell value', { 'build-args': `A=${SHELL}` }, 'argv'],
  ['build-arg ${{ }} value', { 'build-args': 'A=${{ secrets.X }}' }, 'argv'],
  ['build-arg without =', { 'build-args': 'JUSTAKEY' }, 'build-args'],
  ['label newline injection', { labels: 'a=1\n--push' }, 'labels'],
  ['label with shell value', { labels: `a=${SHELL}` }, 'argv'],
  ['annotation without key', { annotations: '=value' }, 'annotations'],
  ['target with spaces', { target: 'build stage' }, 'target'],
  ['target with shell', { target: `x;${SHELL}` }, 'target'],
  ['context looking like a flag', { context: '--file=/etc/passwd' }, 'context'],
  ['multi-line file', { file: 'Dockerfile\nDockerfile.evil' }, 'file'],
  ['file with shell characters', { file: `Dockerfile;${SHELL}` }, 'argv'],
  ['secret without =', { secrets: 'TOKEN' }, 'secrets'],
  ['secret id with spaces', { secrets: 'MY TOKEN=abc' }, 'secrets'],
  ['duplicate secret id', { secrets: 'A=1\nA=2' }, 'secrets'],
  ['very long value', { labels: `a=${LONG}` }, 'labels'],
  ['very long tags', { tags: LONG }, 'tags'],
  ['invalid tag rule type', { images: 'ghcr.io/acme/app', tags: 'type=semvr,pattern={{version}}' }, 'tags'],
  ['unknown tag rule attribute', { images: 'ghcr.io/acme/app', tags: 'type=raw,value=1,colour=red' }, 'tags'],
  ['bad match pattern', { images: 'ghcr.io/acme/app', tags: 'type=match,pattern=(unclosed' }, 'tags'],
  ['flavor without images', { flavor: 'latest=true' }, 'flavor'],
  ['retries not a number', { retries: 'lots' }, 'retries'],
  ['negative retry delay', { 'retry-delay': '-1s' }, 'retry-delay'],
  ['timeout with shell', { timeout: `10m;${SHELL}` }, 'timeout'],
  ['aws role that is not an ARN', { 'aws-role-to-assume': `arn:aws:iam::1:role/x;${SHELL}` }, 'aws-role-to-assume'],
  ['gcp provider that is not a resource name', { 'gcp-workload-identity-provider': 'my-provider' }, 'gcp-workload-identity-provider'],
  ['test with an unclosed quote', { test: 'sh -c "echo' }, 'test'],
  ['scan without {image}', { scan: 'trivy image' }, 'scan'],
  ['scan with shell metacharacters', { scan: 'scanner {image} $(touch /tmp/pwned) ; `id` | rm -rf / && echo ${HOME}' }, 'argv'],
  ['cache mode unknown', { cache: 'redis' }, 'cache'],
  ['merge digest that is not a digest', { images: 'ghcr.io/acme/app', 'merge-digests': 'sha256:zzz\nsha256:yyy' }, 'merge-digests'],
];

function attempt(overrides: Partial<Record<InputName, string>>): { error?: unknown; args?: string[] } {
  try {
    const inputs = parseInputs(rawInputs(overrides), () => undefined);
    const plan = makePlan(inputs, fixtureContext('push'), HOST);
    if (plan.merge !== undefined) {
      // merge digests are read at run time; parse them the same way
      return { args: [] };
    }
    return { args: [...plan.buildArgs] };
  } catch (error) {
    return { error };
  }
}

describe(`${CASES.length} hostile or malformed inputs`, () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', async (_, overrides, expected) => {
    let { error, args } = attempt(overrides);
    if (!error && overrides['merge-digests']) {
      const { parseDigestList } = await import('../src/plan/push-by-digest.js');
      try {
        parseDigestList(overrides['merge-digests']);
      } catch (caught) {
        error = caught;
      }
    }
    if (expected === 'argv') {
      expect(error, String(error)).toBeUndefined();
      if (overrides.scan) {
        // Split into words, none of them interpreted: the metacharacters are plain arguments.
        expect(parseInputs(rawInputs(overrides), () => undefined).scan).toEqual(['scanner', '{image}', '$(touch', '/tmp/pwned)', ';', '`id`', '|', 'rm', '-rf', '/', '&&', 'echo', '${HOME}']);
        return;
      }
      // The hostile value is exactly one argv element (after its flag), never split or interpreted.
      const value = Object.values(overrides)[0] ?? '';
      expect(args, JSON.stringify(args)).toContain(value);
      return;
    }
    expect(error).toBeInstanceOf(InputError);
    const inputError = error as InputError;
    expect(inputError.input).toBe(expected);
    expect(inputError.message).toContain(`input "${expected}"`);
    expect(inputError.message).toContain('Example of a valid value:');
    // Secrets never echo back.
    expect(inputError.message).not.toContain('hunter2');
    expect(inputError.message.length).toBeLessThan(2000);
  });
});

/** Anything but our validation errors is a bug: a TypeError, a RangeError from a regex, a crash. */
function onlyOurErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(ActionError);
  }
}

describe('property: parsers throw nothing but validation errors', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.constantFrom('', ' ', '\n', '=', ',', '{{', '}}', 'type=', 'type=semver,pattern={{', '${{ x }}', SHELL),
  );

  it('parseInputs with random values for random inputs', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...INPUT_NAMES), text, { maxKeys: 6 }), (overrides) => {
        onlyOurErrors(() =>
          makePlan(
            parseInputs(rawInputs(overrides), () => undefined),
            fixtureContext('push'),
            HOST,
          ),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('tag rules', () => {
    const rule = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'type=semver',
            'type=ref',
            'event=branch',
            'pattern={{version}}',
            'value=x',
            'enable=false',
            'priority=abc',
            'prefix=',
            'suffix={{sha}}',
            'type=match',
            'pattern=(a',
            'group=2',
          ),
          fc.string({ maxLength: 20 }),
        ),
        { maxLength: 5 },
      )
      .map((parts) => parts.join(','));
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 4 }), (rules) => onlyOurErrors(() => parseTagRules(rules.join('\n')))),
      { numRuns: 500 },
    );
  });

  it('image references', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (reference) => onlyOurErrors(() => parseImageReference(reference, 'tags', 'ghcr.io/acme/app:1'))),
      { numRuns: 500 },
    );
  });

  it('command splitting', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (command) => onlyOurErrors(() => splitCommand('test', command))),
      { numRuns: 500 },
    );
  });
});
