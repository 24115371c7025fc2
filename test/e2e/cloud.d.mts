// Types of cloud.mjs's public API: the stand-ins for GitHub's OIDC endpoint, AWS (STS, ECR,
// ECR Public), Google (STS, IAM Credentials) and the real registry hostnames on 127.0.0.1.
// Only the exports: how cloud.mjs is split inside is its own business. The .mjs stays plain
// JavaScript (it is also run as `node test/e2e/cloud.mjs ...`).
import type { RegistryManifestDocument } from './engine.mjs';

/** The tag on everything a run changes on the machine (/etc/hosts lines, certs.d, CA, state file). */
export const MARKER: string;

/** The engine set-up's state folder (the persistent CA lives in E2E_HOME/cloud-ca). */
export const E2E_HOME: string;

/** Decodes a JWT without checking it; throws when it does not have three parts. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> };

/** The persistent test CA (created on first use). */
export interface CloudCa {
  dir: string;
  caPath: string;
  keyPath: string;
  pem: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint: string;
}

/** The persistent test CA in `dir` (default BUILD_PUSH_E2E_CA_DIR or E2E_HOME/cloud-ca), made if needed. */
export function ensureCloudCa(dir?: string): CloudCa;

/**
 * For the engine set-up: makes the persistent CA if needed and keeps it in the system store
 * (update-ca-certificates only when it changed). Run it before dockerd starts.
 */
export function installCloudCa(dir?: string): { fingerprint: string; changed: boolean; caPath: string; systemPath: string };

/** Takes the persistent CA out of the system store again (the CA files stay); false when it was not there. */
export function uninstallCloudCa(): boolean;

/**
 * Removes what a previous run left behind (its processes, temp folder, /etc/hosts lines,
 * certs.d folders, CA); throws if another live process owns a running cloud, unless `force`.
 * Returns what it cleaned.
 */
export function cleanupCloudLeftovers(options?: { force?: boolean }): Promise<string[]>;

/** What startCloud sets up (everything optional). */
export interface StartCloudOptions {
  /** The run's repository (default 'acme/app'), ref (default 'refs/heads/main'), sha and actor (default 'octocat'), as the OIDC claims give them. */
  repository?: string;
  ref?: string;
  sha?: string;
  actor?: string;
  /** Extra or overriding claims of the OIDC tokens, and their lifetime (default 300 s). */
  oidc?: { claims?: Record<string, unknown>; ttlSeconds?: number };
  /** ECR accounts (default 123456789012/us-east-1 and 210987654321/eu-west-1), allowed audiences (default sts.amazonaws.com) and role ARNs (default any). */
  ecr?: { accounts?: { accountId: string; region: string }[]; audiences?: string[]; roleArns?: string[] | null };
  /** The workload identity provider, service accounts and registry hosts of the Google stand-in. */
  gcp?: { workloadIdentityProvider?: string; serviceAccounts?: string[]; registryHosts?: string[] };
  ghcr?: { username?: string };
  dockerhub?: { username?: string };
  /** A python with moto and boto3 (default: BUILD_PUSH_E2E_PYTHON, python3, ~/.pyenv/shims/python3). */
  python?: string;
  /** Put the CA in the system store for the run unless install-ca keeps it there (default true). */
  systemCa?: boolean;
  /** The persistent CA's folder. */
  caDir?: string;
  /** Fail fast when dockerd's token requests reject the CA (default true). */
  checkDaemonTrust?: boolean;
}

/**
 * The variables a step needs to reach the stand-ins (OIDC request, AWS endpoint and files,
 * Google endpoints, the CA for Node). A type, not an interface: it is passed as a plain
 * Record<string, string> environment.
 */
export type CloudEnv = {
  ACTIONS_ID_TOKEN_REQUEST_URL: string;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: string;
  AWS_ENDPOINT_URL: string;
  AWS_REGION: string;
  AWS_DEFAULT_REGION: string;
  AWS_EC2_METADATA_DISABLED: string;
  AWS_CONFIG_FILE: string;
  AWS_SHARED_CREDENTIALS_FILE: string;
  BUILD_PUSH_GCP_STS_URL: string;
  BUILD_PUSH_GCP_IAM_CREDENTIALS_URL: string;
  NODE_EXTRA_CA_CERTS: string;
};

/** An ECR account of the stand-in: its registry host and the credentials ECR hands out for it. */
export interface CloudEcrAccount {
  accountId: string;
  region: string;
  /** <account>.dkr.ecr.<region>.amazonaws.com */
  host: string;
  username: string;
  password: string;
  /** arn:aws:iam::<account>:role/build-push */
  roleArn: string;
  /** https://<host> */
  proxyEndpoint: string;
}

/** A registry host of the stand-in and its auth dialect. */
export interface CloudRegistry {
  host: string;
  kind: 'ecr' | 'ecr-public' | 'gar' | 'gcr' | 'ghcr' | 'dockerhub';
  auth: 'basic' | 'bearer';
  /** Bearer registries: the token endpoint (WWW-Authenticate realm) and service. */
  realm?: string;
  service?: string;
}

/**
 * A request a stand-in served, as recorded (one JSON line each). Common fields first, then
 * those of some services only.
 */
export interface CloudRequest {
  /** ISO time. */
  time: string;
  service: 'oidc' | 'gcp-sts' | 'gcp-iam' | 'gcp' | 'aws' | 'registry' | 'registry-token' | 'registry-plain-http';
  method: string;
  /** Absent for aws. */
  path?: string;
  status: number;
  /** The client's port (a proxied step's requests come from the proxy's upstream ports). */
  peer?: number;
  error?: string;
  description?: string;
  /** Registries and their token endpoints: the Host served. */
  host?: string;
  /** Registries and token endpoints: the User-Agent. */
  agent?: string;
  /** Registries: how the request authenticated. */
  auth?: 'none' | 'basic' | 'bearer' | 'bearer-invalid';
  /** Registries and token endpoints: the user the credentials named. */
  user?: string;
  /** Token endpoints. */
  grantType?: string | null;
  scope?: string;
  serviceParam?: string;
  /** Token endpoints: a Google federated token standing for this principal (direct workload identity). */
  principal?: string;
  /** oidc: the audience asked for; aws and gcp-sts: the audience of the OIDC token presented. */
  audience?: string | string[] | null;
  /** aws and gcp-sts: the OIDC token's subject. */
  sub?: string;
  /** gcp-sts, gcp-iam. */
  contentType?: string;
  /** gcp-sts: how the request body was written. */
  format?: 'json-snake_case' | 'json-camelCase' | 'form';
  oidcAudience?: string | string[];
  /** gcp-sts: the federated access token handed out. */
  issued?: string;
  /** gcp-iam. */
  serviceAccount?: string;
  /** aws: the API operation, the signed-for service, region and access key. */
  operation?: string | null;
  awsService?: string;
  region?: string;
  accessKeyId?: string;
  roleArn?: string;
  roleSessionName?: string;
  durationSeconds?: string;
  issuedAccessKeyId?: string;
  account?: string;
  proxyEndpoints?: string[];
}

/** The recorded requests (read from the log while the cloud runs, kept once it stopped). */
export interface CloudRequests {
  readonly all: CloudRequest[];
  of(service: CloudRequest['service']): CloudRequest[];
  readonly oidc: CloudRequest[];
  readonly aws: CloudRequest[];
  /** gcp-sts and gcp-iam. */
  readonly gcp: CloudRequest[];
  /** registry and registry-token. */
  readonly registry: CloudRequest[];
  /** Forgets what was recorded so far (no-op after stop). */
  clear(): void;
}

/** A running cloud, as startCloud resolves to it. */
export interface Cloud {
  /** The step's variables with the services as 127.0.0.1 URLs. */
  env: CloudEnv;
  /** The same with the services by name (for steps whose proxy rules send only names through the proxy). */
  namedEnv: CloudEnv;
  /** Every hostname sent to 127.0.0.1. */
  hosts: string[];
  /** The run's temp folder. */
  dir: string;
  caPath: string;
  caPem: string;
  ca: { fingerprint: string; persistentPath: string; systemStore: 'persistent' | 'run' | 'none' };
  /** What the dockerd trust probe found (ok undefined when not checked). */
  daemonTrust: { ok?: boolean; staleHosts?: boolean; detail: string };
  oidc: { url: string; requestUrl: string; requestToken: string; issuer: string; jwksUrl: string; subject: string };
  /** The first account's fields, plus every account, ECR Public, and the AWS endpoints. */
  ecr: CloudEcrAccount & {
    accounts: CloudEcrAccount[];
    public: { host: string; region: string; username: string; password: string };
    audience: string;
    endpoint: string;
    motoEndpoint: string;
    /** The python with moto and boto3 the supervisor found. */
    python: string;
  };
  gcp: {
    workloadIdentityProvider: string;
    stsAudience: string;
    oidcAudience: string;
    serviceAccount: string;
    serviceAccounts: string[];
    accessToken: string;
    username: string;
    /** The Artifact Registry / gcr.io hosts; `host` is the first. */
    hosts: string[];
    host: string;
    stsUrl: string;
    iamCredentialsUrl: string;
  };
  ghcr: { host: string; username: string; token: string };
  dockerhub: { host: string; username: string; token: string };
  registries: CloudRegistry[];
  requests: CloudRequests;
  /** Adds (or with `replace`, sets) the users of the registries (`hosts`, default all). */
  setRegistryUsers(users: { username: string; password: string }[], options?: { hosts?: string[]; replace?: boolean }): Promise<void>;
  /** Stops everything and undoes every system change; idempotent. */
  stop(): Promise<void>;
  timings: { startMs: number; stopMs: number | undefined; phases: Record<string, number> };
}

/** Starts every stand-in (needs root); cleans up after a crashed run first. */
export function startCloud(options?: StartCloudOptions): Promise<Cloud>;

/** What registryManifestTls found. */
export interface TlsManifest {
  status: number;
  digest: string | undefined;
  mediaType: string | undefined;
  /** The parsed manifest (GET answered 200 only). */
  json: RegistryManifestDocument | undefined;
  /** The first answer's WWW-Authenticate, parsed (scheme lower-cased, parameters by lower-cased name). */
  challenge: { scheme: string; realm?: string; service?: string; scope?: string; [parameter: string]: string | undefined } | undefined;
  /** The token endpoint's status, when it refused. */
  tokenStatus?: number;
}

/**
 * GET (or HEAD) /v2/<repository>/manifests/<reference> on https://<host>, one of the
 * cloud's registries, answering a Basic or a Bearer challenge with `credentials`.
 * `ca` defaults to the last startCloud's CA.
 */
export function registryManifestTls(
  host: string,
  repository: string,
  reference: string,
  credentials?: { username?: string; password?: string },
  options?: { ca?: string; method?: string },
): Promise<TlsManifest>;
