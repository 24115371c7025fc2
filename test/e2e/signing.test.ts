// End to end: a statement signed by src/phases/sign.ts through
// the local Fulcio, Rekor and timestamp authority (test/e2e/sigstore-standin.mjs), then verified by
// Sigstore's own verifier (@sigstore/verify) against the trusted root made from their keys.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { signImage, signStatement } from '../../src/phases/sign.js';
import { RegistryClient } from '../../src/registries/client.js';
import { COSIGN_SIGN_PREDICATE, imageStatement, IN_TOTO_PAYLOAD_TYPE } from '../../src/signing/statement.js';
import { loadEngineEnv, registryManifest, testDockerConfig, type Engine } from './engine.mjs';
import { pushTinyImage } from './tiny-image.js';
import { runAction } from './runner.mjs';
import { referrersTag } from '../../src/oci/referrers.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'acme/app/.github/workflows/release.yml@refs/heads/main';
/** What Fulcio names the certificate for a GitHub Actions token: the workflow. */
const SUBJECT = `https://github.com/${WORKFLOW}`;
const digest = `sha256:${'ab'.repeat(32)}`;

let standIn: ChildProcess;
let engine: Engine;
let services: { fulcioURL: string; rekorURL: string; tsaURL: string; trustedRoot: string; oidc: { requestUrl: string; requestToken: string; issuerUrl: string } };

/** A JWT with GitHub's claims; the stand-in Fulcio reads its claims without checking its signature. */
function idToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: ISSUER, sub: 'repo:acme/app:ref:refs/heads/main', aud: 'sigstore', iat: now, exp: now + 300, repository: 'acme/app', job_workflow_ref: WORKFLOW })}.c2ln`;
}

/** Starts test/e2e/sigstore-standin.mjs (Node 24) with `args`; the process and the services it printed. */
async function startStandIn<T>(args: string[]): Promise<{ process: ChildProcess; services: T }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sigstore-e2e-'));
  const child = spawn(engine.node24, [path.join(import.meta.dirname, 'sigstore-standin.mjs'), '--trusted-root', path.join(dir, 'trusted_root.json'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sigstore stand-in exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { process: child, services: JSON.parse(line) as T };
}

beforeAll(async () => {
  engine = loadEngineEnv();
  ({ process: standIn, services } = await startStandIn<typeof services>(['--repository', 'acme/app']));
});

afterAll(() => {
  standIn?.kill('SIGTERM');
});

describe('signing through local Fulcio + TSA (GitHub instance shape: no transparency log)', () => {
  it("gives a v0.3 bundle of a DSSE-signed statement that Sigstore's verifier accepts for the workflow identity", async () => {
    const statement = imageStatement(digest, COSIGN_SIGN_PREDICATE, {});
    const json = await signStatement(statement, { instance: 'github', fulcioURL: services.fulcioURL, tsaURL: services.tsaURL }, idToken());
    const serialized = JSON.parse(json) as { mediaType: string; dsseEnvelope: { payloadType: string; payload: string } };
    expect(serialized.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(serialized.dsseEnvelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(JSON.parse(Buffer.from(serialized.dsseEnvelope.payload, 'base64').toString('utf8'))).toEqual(statement);

    const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(services.trustedRoot, 'utf8'))));
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 1, tsaThreshold: 1 });
    const signer = verifier.verify(toSignedEntity(bundleFromJSON(serialized)), { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } });
    expect(signer.identity?.subjectAlternativeName).toBe(SUBJECT);

    // Another identity is refused: the check can fail.
    expect(() =>
      verifier.verify(toSignedEntity(bundleFromJSON(serialized)), {
        subjectAlternativeName: 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main',
        extensions: { issuer: ISSUER },
      }),
    ).toThrow();
  });
});

describe('signing through local Fulcio + Rekor (public-good shape: a transparency log entry)', () => {
  it("gives a bundle with a log entry (inclusion proof, checkpoint, SET) that Sigstore's verifier accepts", async () => {
    const statement = imageStatement(digest, COSIGN_SIGN_PREDICATE, {});
    const json = await signStatement(statement, { instance: 'public-good', fulcioURL: services.fulcioURL, rekorURL: services.rekorURL }, idToken());
    const serialized = JSON.parse(json) as { verificationMaterial: { tlogEntries: { kindVersion: { kind: string }; inclusionProof?: { checkpoint?: object } }[] } };
    expect(serialized.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(serialized.verificationMaterial.tlogEntries[0]?.kindVersion.kind).toBe('dsse');
    expect(serialized.verificationMaterial.tlogEntries[0]?.inclusionProof?.checkpoint).toBeDefined();

    const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(services.trustedRoot, 'utf8'))));
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
    expect(verifier.verify(toSignedEntity(bundleFromJSON(serialized)), { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } }).identity?.subjectAlternativeName).toBe(SUBJECT);

    // A log entry for another payload is refused: the body is compared with the bundle.
    const other = JSON.parse(
      await signStatement(imageStatement(`sha256:${'cd'.repeat(32)}`, COSIGN_SIGN_PREDICATE, {}), { instance: 'public-good', fulcioURL: services.fulcioURL, rekorURL: services.rekorURL }, idToken()),
    ) as typeof serialized;
    const swapped = { ...serialized, verificationMaterial: { ...serialized.verificationMaterial, tlogEntries: other.verificationMaterial.tlogEntries } };
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(swapped)), { subjectAlternativeName: SUBJECT, extensions: { issuer: ISSUER } })).toThrow();
  });
});

// Debian's cosign (3.1), which the engine set-up unpacks (E2E_COSIGN in its env file, read
// here already: the describe below is skipped or not as the file is collected).
const cosign = (() => {
  try {
    loadEngineEnv();
  } catch {
    return undefined;
  }
  return [process.env.E2E_COSIGN].find((file) => file && existsSync(file));
})();

describe.skipIf(!cosign)(`cosign verify of an image signed by the step's code${cosign ? '' : " (skipped: no cosign binary; the engine set-up installs Debian's)"}`, () => {
  it('finds the signature through the referrers tag of distribution 2.8 and verifies it; another image under the tag fails', async () => {
    const repository = `e2e/signed-${randomUUID().slice(0, 8)}`;
    const client = new RegistryClient(engine.registry, { username: engine.username, password: engine.password });
    const image = await pushTinyImage(client, repository, `image ${repository}`, 'v1');
    const signed = await signImage(
      image,
      [{ name: `${engine.registry}/${repository}`, repository, client }],
      { instance: 'public-good', fulcioURL: services.fulcioURL, rekorURL: services.rekorURL },
      {
        idToken: () => Promise.resolve(idToken()),
        retry: { retries: 1, delayMs: 100, maxDelayMs: 100 },
        hooks: { log: () => undefined },
        now: () => new Date(),
      },
    );
    expect(signed.stored).toEqual([{ name: `${engine.registry}/${repository}`, digest: signed.digest, listing: 'referrers tag' }]);

    const verify = (reference: string, identity = SUBJECT) =>
      spawnSync(
        cosign!,
        [
          'verify',
          '--trusted-root',
          services.trustedRoot,
          '--certificate-identity',
          identity,
          '--certificate-oidc-issuer',
          ISSUER,
          '--allow-http-registry',
          '--allow-insecure-registry',
          '--output',
          'json',
          reference,
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, DOCKER_CONFIG: testDockerConfig(engine) },
          timeout: 60_000,
        },
      );
    const verified = verify(`${engine.registry}/${repository}@${image.digest}`);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(image.digest);
    expect(JSON.parse(verified.stdout)).toEqual([expect.objectContaining({ critical: expect.objectContaining({ type: 'https://sigstore.dev/cosign/sign/v1' }) })]);
    // Another workflow's identity does not match the certificate.
    const stranger = verify(`${engine.registry}/${repository}@${image.digest}`, 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main');
    expect(stranger.status).not.toBe(0);
    expect(stranger.stderr).toContain(
      'expected SAN value "https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main", got "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"',
    );

    // The tag now names another image: its digest has no signature.
    const other = await pushTinyImage(client, repository, `other ${repository}`, 'v1');
    expect((await registryManifest(engine, repository, 'v1')).digest).toBe(other.digest);
    const refused = verify(`${engine.registry}/${repository}:v1`);
    expect(refused.status).not.toBe(0);
  });
});

describe('the step with sign: true (dist/ through the runner emulator)', () => {
  const registryAuth = () => `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`;
  const step = (repository: string, eventName: string, env: Record<string, string>) =>
    runAction({
      eventName,
      payload: { repository: { full_name: 'acme/app', visibility: 'public', owner: { login: 'acme', type: 'Organization' } } },
      inputs: {
        tags: `${engine.registry}/${repository}:v1`,
        context: 'example/app',
        platforms: 'linux/amd64',
        'build-args': `BASE_IMAGE=${engine.baseImage}`,
        'registry-auth': registryAuth(),
        sign: 'true',
      },
      env: { SIGSTORE_FULCIO_URL: services.fulcioURL, SIGSTORE_REKOR_URL: services.rekorURL, ...env },
    });
  const tokenEnv = () => ({ ACTIONS_ID_TOKEN_REQUEST_URL: services.oidc.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: services.oidc.requestToken });

  it("signs the verified digest and stores the signature next to it; the summary's cosign verify passes", async () => {
    const repository = `e2e/sign-step-${randomUUID().slice(0, 8)}`;
    const result = await step(repository, 'push', tokenEnv());
    expect(result.succeeded, result.main.log.slice(-3000)).toBe(true);
    expect(result.outputs.pushed).toBe('true');
    expect(result.outputs.signature).toMatch(/^sha256:[0-9a-f]{64}$/);
    const digest = result.outputs.digest ?? '';
    expect((await registryManifest(engine, repository, 'v1')).digest).toBe(digest);
    // Stored through the referrers tag (distribution 2.8), listed with the bundle's type and predicate.
    const listing = await registryManifest(engine, repository, referrersTag(digest));
    expect(listing.json).toMatchObject({
      manifests: [
        {
          digest: result.outputs.signature,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' },
        },
      ],
    });
    expect(result.main.log).toContain(`${engine.registry}/${repository}: signature ${result.outputs.signature} stored (referrers tag)`);

    // The command the summary shows, run as it is (plus the stand-ins' trusted root and the plain-HTTP registry).
    const command = /`(cosign verify [^`]+)`/.exec(result.summary)?.[1] ?? '';
    expect(command).toBe(
      `cosign verify ${engine.registry}/${repository}@${digest} --certificate-identity-regexp '^https://github\\.com/acme/app/' --certificate-oidc-issuer https://token.actions.githubusercontent.com`,
    );
    if (cosign) {
      const words = command
        .split(' ')
        .slice(1)
        .map((word) => word.replace(/^'(.*)'$/, '$1'));
      const verified = spawnSync(cosign, [...words, '--trusted-root', services.trustedRoot, '--allow-http-registry', '--allow-insecure-registry'], {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_CONFIG: testDockerConfig(engine) },
        timeout: 60_000,
      });
      expect(verified.status, verified.stderr).toBe(0);
    }
  }, 180_000);

  it('on a pull request pushes nothing and signs nothing', async () => {
    const repository = `e2e/sign-pr-${randomUUID().slice(0, 8)}`;
    const result = await step(repository, 'pull_request', tokenEnv());
    expect(result.succeeded, result.main.log.slice(-3000)).toBe(true);
    expect(result.outputs).toMatchObject({ pushed: 'false', signature: '' });
    expect(result.main.log).toContain('sign: nothing was pushed, so nothing is signed');
    expect((await registryManifest(engine, repository, 'v1')).status).toBe(404);
  }, 180_000);

  it('without id-token: write the step fails naming the permission; the verified push stays pushed=true, the signature empty', async () => {
    const repository = `e2e/sign-noperm-${randomUUID().slice(0, 8)}`;
    const result = await step(repository, 'push', {});
    expect(result.succeeded).toBe(false);
    expect(result.outputs).toMatchObject({ pushed: 'true', signature: '' });
    expect(result.main.log).toMatch(/sign: signing failed at the OIDC token: .*\(the job needs "permissions: id-token: write"\)/);
    expect((await registryManifest(engine, repository, 'v1')).digest).toBe(result.outputs.digest);
    expect((await registryManifest(engine, repository, referrersTag(result.outputs.digest ?? ''))).status).toBe(404);
  }, 180_000);
});

describe('the step with attest: true (dist/ through the runner emulator; a private repository: Fulcio + TSA)', () => {
  const GITHUB_TOKEN = 'ghs_attestations0123456789abcdefghijkl';
  let attestIn: ChildProcess;
  let attestServices: typeof services & { githubApi: string };

  beforeAll(async () => {
    ({ process: attestIn, services: attestServices } = await startStandIn<typeof attestServices>(['--repository', 'acme/app', '--issuer-self', '--github-token', GITHUB_TOKEN]));
  });
  afterAll(() => {
    attestIn?.kill('SIGTERM');
  });

  const step = (repository: string, githubToken: string) =>
    runAction({
      eventName: 'push',
      githubToken,
      payload: { repository: { full_name: 'acme/app', visibility: 'private', owner: { login: 'acme', type: 'Organization' } } },
      inputs: {
        tags: `${engine.registry}/${repository}:v1`,
        context: 'example/app',
        platforms: 'linux/amd64',
        'build-args': `BASE_IMAGE=${engine.baseImage}`,
        'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
        attest: 'true',
      },
      env: {
        SIGSTORE_FULCIO_URL: attestServices.fulcioURL,
        SIGSTORE_TSA_URL: attestServices.tsaURL,
        BUILD_PUSH_OIDC_ISSUER: attestServices.oidc.issuerUrl,
        GITHUB_API_URL: attestServices.githubApi,
        ACTIONS_ID_TOKEN_REQUEST_URL: attestServices.oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: attestServices.oidc.requestToken,
      },
    });

  it('stores signed SLSA provenance of the verified digest with the attestations API and next to the image; both verify', async () => {
    const repository = `e2e/attest-step-${randomUUID().slice(0, 8)}`;
    const result = await step(repository, GITHUB_TOKEN);
    expect(result.succeeded, result.main.log.slice(-3000)).toBe(true);
    const digest = result.outputs.digest ?? '';
    expect(result.outputs).toMatchObject({
      pushed: 'true',
      signature: '',
      attestation: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      'attestation-url': expect.stringMatching(/^https:\/\/github\.com\/acme\/app\/attestations\/\d+$/),
    });

    // What the API received: a v0.3 bundle of an in-toto statement about exactly this digest.
    const received = (await (await fetch(`${attestServices.githubApi}/_received`)).json()) as { owner: string; repo: string; bundle: { mediaType: string; dsseEnvelope: { payload: string } } }[];
    const stored = received.at(-1)!;
    expect(stored).toMatchObject({ owner: 'acme', repo: 'app', bundle: { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' } });
    expect(result.outputs['attestation-url']).toBe(`https://github.com/acme/app/attestations/${1000 + received.length}`);
    const statement = JSON.parse(Buffer.from(stored.bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
      subject: unknown;
      predicateType: string;
      predicate: { buildDefinition: { externalParameters: { workflow: { repository: string } } } };
    };
    expect(statement.subject).toEqual([{ name: `${engine.registry}/${repository}`, digest: { sha256: digest.slice('sha256:'.length) } }]);
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.predicate.buildDefinition.externalParameters.workflow.repository).toBe('https://github.com/acme/app');

    // The same bundle next to the image.
    const listing = await registryManifest(engine, repository, referrersTag(digest));
    expect(listing.json).toMatchObject({ manifests: [{ digest: result.outputs.attestation, annotations: { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' } }] });

    // Sigstore's verifier: the workflow's certificate, a TSA timestamp, no log (GitHub's instance has none).
    const identity = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
    const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(attestServices.trustedRoot, 'utf8'))));
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 1, tsaThreshold: 1 });
    expect(
      verifier.verify(toSignedEntity(bundleFromJSON(stored.bundle)), { subjectAlternativeName: identity, extensions: { issuer: attestServices.oidc.issuerUrl } }).identity?.subjectAlternativeName,
    ).toBe(identity);
    expect(result.summary).toContain(`gh attestation verify oci://${engine.registry}/${repository}@${digest} --repo acme/app`);

    if (cosign) {
      const verified = spawnSync(
        cosign,
        [
          'verify-attestation',
          '--type',
          'slsaprovenance1',
          '--trusted-root',
          attestServices.trustedRoot,
          '--certificate-identity',
          identity,
          '--certificate-oidc-issuer',
          attestServices.oidc.issuerUrl,
          '--insecure-ignore-tlog',
          '--use-signed-timestamps',
          '--allow-http-registry',
          '--allow-insecure-registry',
          `${engine.registry}/${repository}@${digest}`,
        ],
        { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: testDockerConfig(engine) }, timeout: 60_000 },
      );
      expect(verified.status, verified.stderr).toBe(0);
    }
  }, 180_000);

  it('without attestations: write the step fails naming the permission; the push stays pushed=true', async () => {
    const repository = `e2e/attest-noperm-${randomUUID().slice(0, 8)}`;
    const result = await step(repository, `${GITHUB_TOKEN}-readonly`);
    expect(result.succeeded).toBe(false);
    expect(result.outputs).toMatchObject({ pushed: 'true', attestation: '', 'attestation-url': '' });
    expect(result.main.log).toMatch(/attest: signing failed at the attestations API: .*Resource not accessible by integration.*\(the job needs "permissions: attestations: write"\)/);
  }, 180_000);
});
