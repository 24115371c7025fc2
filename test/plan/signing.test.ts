import { describe, expect, it } from 'vitest';
import { sigstoreEndpoints } from '../../src/plan/signing.js';

describe('sigstoreEndpoints (the instance actions/attest would pick)', () => {
  it.each([
    [
      'a public repository: public-good, Fulcio + Rekor',
      'public',
      'https://github.com',
      {},
      { instance: 'public-good', fulcioURL: 'https://fulcio.sigstore.dev', rekorURL: 'https://rekor.sigstore.dev' },
    ],
    [
      "a private one on github.com: GitHub's, Fulcio + TSA under githubapp.com",
      'private',
      'https://github.com',
      {},
      { instance: 'github', fulcioURL: 'https://fulcio.githubapp.com', tsaURL: 'https://timestamp.githubapp.com' },
    ],
    ["an internal one: GitHub's too", 'internal', 'https://github.com', {}, { instance: 'github', fulcioURL: 'https://fulcio.githubapp.com', tsaURL: 'https://timestamp.githubapp.com' }],
    [
      "no visibility in the payload: GitHub's (never publish what may be private)",
      undefined,
      'https://github.com',
      {},
      { instance: 'github', fulcioURL: 'https://fulcio.githubapp.com', tsaURL: 'https://timestamp.githubapp.com' },
    ],
    [
      'GitHub Enterprise Cloud with data residency: its own host',
      'private',
      'https://acme.ghe.com',
      {},
      { instance: 'github', fulcioURL: 'https://fulcio.acme.ghe.com', tsaURL: 'https://timestamp.acme.ghe.com' },
    ],
    [
      'overridden (local stand-ins)',
      'public',
      'https://github.com',
      { SIGSTORE_FULCIO_URL: 'http://127.0.0.1:1', SIGSTORE_REKOR_URL: 'http://127.0.0.1:2', SIGSTORE_TSA_URL: 'http://127.0.0.1:3' },
      { instance: 'public-good', fulcioURL: 'http://127.0.0.1:1', rekorURL: 'http://127.0.0.1:2', tsaURL: 'http://127.0.0.1:3' },
    ],
    [
      'blank overrides are no overrides',
      'private',
      'https://github.com',
      { SIGSTORE_FULCIO_URL: ' ', SIGSTORE_TSA_URL: '' },
      { instance: 'github', fulcioURL: 'https://fulcio.githubapp.com', tsaURL: 'https://timestamp.githubapp.com' },
    ],
  ])('%s', (_, visibility, serverUrl, env, expected) => {
    expect(sigstoreEndpoints(visibility, serverUrl, env)).toEqual(expected);
  });
});
