import { ActionError, errorMessage } from '../errors.js';
import type { Env } from '../plan/context.js';
import type { Inputs } from '../plan/inputs.js';
import { awsRequestHandler } from '../proxy.js';
import { githubIdToken, type Credential, type CredentialProvider, type ProviderEnvironment } from './provider.js';

export const ECR_PUBLIC = 'public.ecr.aws';

export interface EcrHost {
  readonly accountId: string;
  readonly region: string;
}

// <account>.dkr.ecr[-fips].<region>.<partition domain>, and the dual-stack <account>.dkr-ecr.<region>.on.aws.
const ECR_HOST =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws)$/;

export function parseEcrHost(registry: string): EcrHost | undefined {
  const match = ECR_HOST.exec(registry);
  if (!match?.[1]) return undefined;
  const region = match[2] ?? match[3];
  return region ? { accountId: match[1], region } : undefined;
}

/** Credentials an earlier step (aws-actions/configure-aws-credentials) or the machine provides. */
function environmentHasAwsCredentials(env: Env): boolean {
  return Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_PROFILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
}

interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

// One role session per run, shared by every ECR registry (several accounts and regions).
const sessions = new WeakMap<ProviderEnvironment, Promise<AwsCredentials | undefined>>();

function roleSession(environment: ProviderEnvironment, region: string): Promise<AwsCredentials | undefined> {
  let session = sessions.get(environment);
  if (!session) {
    session = assumeRole(environment, region);
    sessions.set(environment, session);
    // A failed session is not kept: a retry asks STS again.
    session.catch(() => sessions.delete(environment));
  }
  return session;
}

/** GitHub OIDC token → STS AssumeRoleWithWebIdentity. Undefined: use the SDK's default chain. */
async function assumeRole({ inputs, env, mask }: ProviderEnvironment, region: string): Promise<AwsCredentials | undefined> {
  if (!inputs.awsRoleToAssume) return undefined;
  const webIdentityToken = await githubIdToken('sts.amazonaws.com', env);
  const [{ STSClient, AssumeRoleWithWebIdentityCommand }, requestHandler] = await Promise.all([import('@aws-sdk/client-sts'), awsRequestHandler()]);
  const sts = new STSClient({ region: inputs.awsRegion || region, ...(requestHandler ? { requestHandler } : {}) });
  try {
    const result = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: inputs.awsRoleToAssume,
        RoleSessionName: inputs.awsRoleSessionName,
        WebIdentityToken: webIdentityToken,
        DurationSeconds: inputs.awsRoleDurationSeconds,
      }),
    );
    const credentials = result.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) throw new Error('STS returned no credentials');
    mask(credentials.SecretAccessKey);
    if (credentials.SessionToken) mask(credentials.SessionToken);
    return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}) };
  } catch (error) {
    throw new ActionError(
      /AccessDenied|InvalidIdentityToken|ExpiredToken|not authorized/i.test(errorMessage(error))
        ? `AWS STS refused to let this workflow assume ${inputs.awsRoleToAssume}: ${errorMessage(error)}. Check the role's trust policy allows token.actions.githubusercontent.com for this repository.`
        : `AWS STS AssumeRoleWithWebIdentity for ${inputs.awsRoleToAssume} failed: ${errorMessage(error)}`,
    );
  } finally {
    sts.destroy();
  }
}

/** ECR hands out base64("AWS:<password>"); both forms are masked at once. */
export function decodeEcrToken(token: string, mask: (secret: string) => void): { username: string; password: string } {
  mask(token);
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new ActionError('ECR returned an authorization token that is not user:password');
  const password = decoded.slice(colon + 1);
  mask(password);
  return { username: decoded.slice(0, colon), password };
}

function ecrConfigured(_registry: string, inputs: Inputs, env: Env): { ok: true } | { ok: false; missing: string } {
  return inputs.awsRoleToAssume || environmentHasAwsCredentials(env)
    ? { ok: true }
    : { ok: false, missing: 'aws-role-to-assume (with permissions: id-token: write) or AWS credentials in the environment' };
}

/** Private ECR: `<account>.dkr.ecr.<region>.amazonaws.com`. */
export const ecrProvider: CredentialProvider = {
  name: 'aws ecr',
  matches: (registry) => parseEcrHost(registry) !== undefined,
  configured: ecrConfigured,
  credential: async (registry, environment): Promise<Credential> => {
    const host = parseEcrHost(registry);
    if (!host) throw new Error(`${registry} is not an ECR registry`);
    const credentials = await roleSession(environment, host.region);
    const [{ ECRClient, GetAuthorizationTokenCommand }, requestHandler] = await Promise.all([import('@aws-sdk/client-ecr'), awsRequestHandler()]);
    const ecr = new ECRClient({ region: host.region, ...(credentials ? { credentials } : {}), ...(requestHandler ? { requestHandler } : {}) });
    try {
      const result = await ecr.send(new GetAuthorizationTokenCommand({ registryIds: [host.accountId] }));
      const token = result.authorizationData?.[0]?.authorizationToken;
      if (!token) throw new Error('no authorization data');
      return { registry, ...decodeEcrToken(token, environment.mask), provider: 'aws ecr' };
    } catch (error) {
      if (error instanceof ActionError) throw error;
      throw new ActionError(`ECR GetAuthorizationToken for ${registry} failed: ${errorMessage(error)}`);
    } finally {
      ecr.destroy();
    }
  },
};

/** ECR Public (`public.ecr.aws`): its own API, always in us-east-1. */
export const ecrPublicProvider: CredentialProvider = {
  name: 'aws ecr public',
  matches: (registry) => registry === ECR_PUBLIC,
  configured: ecrConfigured,
  credential: async (registry, environment): Promise<Credential> => {
    const credentials = await roleSession(environment, 'us-east-1');
    const [{ ECRPUBLICClient, GetAuthorizationTokenCommand }, requestHandler] = await Promise.all([import('@aws-sdk/client-ecr-public'), awsRequestHandler()]);
    const ecrPublic = new ECRPUBLICClient({ region: 'us-east-1', ...(credentials ? { credentials } : {}), ...(requestHandler ? { requestHandler } : {}) });
    try {
      const result = await ecrPublic.send(new GetAuthorizationTokenCommand({}));
      const token = result.authorizationData?.authorizationToken;
      if (!token) throw new Error('no authorization data');
      return { registry, ...decodeEcrToken(token, environment.mask), provider: 'aws ecr public' };
    } catch (error) {
      if (error instanceof ActionError) throw error;
      throw new ActionError(`ECR Public GetAuthorizationToken failed: ${errorMessage(error)}`);
    } finally {
      ecrPublic.destroy();
    }
  },
};
