import { describe, expect, it } from 'vitest';
import { attestImage, partOfSigstoreError, signImage, SigningFailure } from '../../src/phases/sign.js';
import { OCI_INDEX, sha256Digest } from '../../src/oci/model.js';

describe('partOfSigstoreError (@sigstore/sign InternalError codes)', () => {
  it.each([
    ['IDENTITY_TOKEN_READ_ERROR', 'OIDC token'],
    ['IDENTITY_TOKEN_PARSE_ERROR', 'OIDC token'],
    ['CA_CREATE_SIGNING_CERTIFICATE_ERROR', 'certificate (Fulcio)'],
    ['TLOG_CREATE_ENTRY_ERROR', 'transparency log (Rekor)'],
    ['TLOG_FETCH_ENTRY_ERROR', 'transparency log (Rekor)'],
    ['TSA_CREATE_TIMESTAMP_ERROR', 'timestamp (TSA)'],
    ['SOMETHING_ELSE', undefined],
    [undefined, undefined],
  ])('%s → %s', (code, part) => {
    expect(partOfSigstoreError(code)).toBe(part);
  });
});

describe('signImage', () => {
  it('without an OIDC token fails at the token, naming the permission, before any request', async () => {
    const subject = { mediaType: OCI_INDEX, digest: sha256Digest('index'), size: 10 };
    const noClient = new Proxy({}, { get: () => () => Promise.reject(new Error('no registry call expected')) });
    const failure = await signImage(
      subject,
      [{ name: 'ghcr.io/acme/app', repository: 'acme/app', client: noClient as never }],
      { instance: 'github', fulcioURL: 'http://127.0.0.1:9', tsaURL: 'http://127.0.0.1:9' },
      {
        idToken: () => Promise.reject(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable')),
        retry: { retries: 0, delayMs: 1, maxDelayMs: 1 },
        hooks: { log: () => undefined },
        now: () => new Date(0),
      },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SigningFailure);
    expect(failure).toMatchObject({ part: 'OIDC token' });
    expect(String((failure as Error).message)).toBe('signing failed at the OIDC token: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable (the job needs "permissions: id-token: write")');
  });
});

describe('attestImage', () => {
  const subject = { mediaType: OCI_INDEX, digest: sha256Digest('index'), size: 10 };
  const noClient = new Proxy({}, { get: () => () => Promise.reject(new Error('no registry call expected')) });
  const base = {
    idToken: () => Promise.resolve('a.b.c'),
    retry: { retries: 0, delayMs: 1, maxDelayMs: 1 },
    hooks: { log: () => undefined },
    now: () => new Date(0),
    storeAttestation: () => Promise.reject(new Error('not reached')),
    repositoryUrl: 'https://github.com/acme/app',
  };
  const endpoints = { instance: 'github' as const, fulcioURL: 'http://127.0.0.1:9', tsaURL: 'http://127.0.0.1:9' };

  it.each([
    [
      'the provenance cannot be made (token claims)',
      { provenance: () => Promise.reject(new Error('Failed to get ID token: Missing claims: run_id')) },
      'provenance',
      'signing failed at the provenance: Failed to get ID token: Missing claims: run_id',
    ],
    [
      'a predicate of another type',
      { provenance: () => Promise.resolve({ type: 'https://example.com/other', params: {} }) },
      'provenance',
      'signing failed at the provenance: unexpected predicate type https://example.com/other',
    ],
    [
      'no token',
      { idToken: () => Promise.reject(new Error('no ACTIONS_ID_TOKEN_REQUEST_URL')), provenance: () => Promise.reject(new Error('not reached')) },
      'OIDC token',
      'signing failed at the OIDC token: no ACTIONS_ID_TOKEN_REQUEST_URL (the job needs "permissions: id-token: write")',
    ],
  ])('fails before signing when %s', async (_, overrides, part, message) => {
    const failure = await attestImage(subject, 'ghcr.io/acme/app', [{ name: 'ghcr.io/acme/app', repository: 'acme/app', client: noClient as never }], endpoints, { ...base, ...overrides }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SigningFailure);
    expect(failure).toMatchObject({ part, message });
  });
});
