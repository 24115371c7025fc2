import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { BuildFailure, checkBuildContext, exportedDigest, exportedImageManifests, isPushFailure, partialPushReport, runBuild, writeSecretFiles } from './phases/build.js';
import { cacheServiceOf, failedCacheExports, ghaCacheReach, withoutGhaCache, type CachePlan } from './plan/cache.js';
import { restoreLocalCache, saveLocalCache } from './phases/cache.js';
import { completeBuildArgs } from './plan/buildx-args.js';
import { inspectEngine, pushesTwiceWithDockerDriver, readBuildkitVersion, readBuildxVersion, setUpBuilder, type BuildxVersion } from './phases/builder.js';
import { childEnvironment, definedOnly, Docker, findBuildxPlugin, settleChildren } from './docker/exec.js';
import { ensureEmulation, readBinfmtEntries } from './phases/qemu.js';
import { dockerArchitecture } from './plan/emulation.js';
import { manifestReader, verifyPush, type DigestReader, type ManifestReader, type PreparedManifestReader } from './registries/manifest-reader.js';
import { summarizeManifest } from './oci/model.js';
import type { BasicCredential } from './registries/client.js';
import { readContext, type Context } from './plan/context.js';
import { ActionError, errorMessage, InputError } from './errors.js';
import { gateImages, GateFailure, gatedImageMatches, runGate, type GateSource } from './phases/gate.js';
import { pushFromEngine } from './phases/engine-push.js';
import { INPUT_NAMES, parseInputs, type Inputs, type RawInputs } from './plan/inputs.js';
import { PhaseError, Phases } from './phases/phase.js';
import { buildArgsForBuilder, makePlan, type Plan } from './plan/plan.js';
import type { SigstoreEndpoints } from './plan/signing.js';
import type { Descriptor } from './oci/model.js';
import { PRIVILEGED_PR_EVENTS } from './plan/trust.js';
import { mergeDigests, pushLayout, readMergeDigests, writeDigestFile } from './phases/push-by-digest.js';
import { missingFromMerge, repositories, splitOutputArgs } from './plan/push-by-digest.js';
import { repositoryInfo } from './phases/repository.js';
import { commitDateFromPayload } from './tags/metadata.js';
import type { ImageReference } from './tags/reference.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { createPrivateDockerConfig, userDockerConfigDir } from './registries/docker-config.js';
import { planRegistries } from './registries/index.js';
import { manifestGetsArePulls } from './registries/dockerhub.js';
import { logIn, startHealthChecks } from './phases/login.js';
import { maskSecret } from './mask.js';
import { savedState, saveState } from './state.js';
import { cleanUp } from './phases/cleanup.js';
import { cacheStats, describePlan, platformManifestDigests, platformSizes, publish, type Report } from './report/summary.js';

const HOST_ARCH = dockerArchitecture(process.arch);

function readInputs(): Inputs {
  // Separators keep their whitespace (a space is a valid separator).
  const raw = Object.fromEntries(INPUT_NAMES.map((name) => [name, core.getInput(name, { trimWhitespace: !name.startsWith('sep-') })])) as RawInputs;
  return parseInputs(raw, maskSecret);
}

/** The commit checked out in the workspace; only asked for where it matters (pull_request_target, workflow_run). */
async function checkedOutSha(context: Context, buildContext: string): Promise<string | undefined> {
  if (!PRIVILEGED_PR_EVENTS.has(context.eventName)) return undefined;
  // The build context's checkout is what the build runs, wherever it sits in the workspace.
  const cwd = path.resolve(context.workspace, buildContext);
  const head = await git(['rev-parse', 'HEAD'], cwd);
  return head || undefined;
}

/** A git query through @actions/exec: its trimmed output, or '' when git fails or is missing. */
async function git(args: string[], cwd: string): Promise<string> {
  try {
    const result = await exec.getExecOutput('git', args, { cwd, env: definedOnly(childEnvironment()), silent: true, ignoreReturnCode: true });
    return result.exitCode === 0 ? result.stdout.trim() : '';
  } catch {
    return '';
  }
}

/** The commit time, for reproducible builds: from the push payload, else git. */
async function commitTime(context: Context): Promise<Date | undefined> {
  const fromPayload = commitDateFromPayload(context.payload as Record<string, unknown>, context.sha);
  if (fromPayload) return fromPayload;
  const seconds = await git(['log', '-1', '--format=%ct'], context.workspace);
  return /^\d+$/.test(seconds) ? new Date(Number(seconds) * 1000) : undefined;
}

/** The plan, and SOURCE_DATE_EPOCH when reproducible builds are asked for and the commit time is known. */
async function plan(inputs: Inputs, context: Context): Promise<{ plan: Plan; sourceDateEpoch?: number }> {
  const workDir = path.join(context.runnerTemp, `build-push-${randomUUID().slice(0, 8)}`);
  const [sha, repo, committed] = await Promise.all([
    checkedOutSha(context, inputs.context),
    inputs.metadata ? repositoryInfo(context, inputs.githubToken, core.warning) : undefined,
    // {{commit_date}} reads it too: git stands in for metadata-action's API request when the payload has no commits.
    inputs.reproducible || inputs.metadata ? commitTime(context) : undefined,
  ]);
  if (inputs.reproducible && !committed) core.warning('reproducible: the commit time is unknown (no push payload, no git work tree); SOURCE_DATE_EPOCH is not set');
  // With reproducible builds the created label is the commit time, like the image timestamps.
  const now = (inputs.reproducible ? committed : undefined) ?? new Date();
  const made = makePlan(inputs, context, {
    architecture: HOST_ARCH,
    workDir,
    env: process.env,
    planRegistries,
    now,
    ...(committed ? { commitDate: committed } : {}),
    ...(sha ? { checkedOutSha: sha } : {}),
    ...(repo ? { repo } : {}),
  });
  made.metadata?.notices.forEach((notice) => core.notice(notice));
  made.metadata?.warnings.forEach((warning) => core.warning(warning));
  for (const registry of inputs.registryAuthWithoutPassword)
    core.warning(`registry-auth: the entry for ${registry} has an empty password (a secret this run cannot read); building without logging in there`);
  if (made.untrustedCode) core.warning(`${made.untrustedCode}; allow-untrusted-code is set, so credentials are used anyway`);
  core.info(`Push: ${made.push.push ? 'yes' : 'no'} (${made.push.reason})`);
  core.info(describePlan(made));
  // A merge run builds nothing: it needs no checkout.
  if (made.merge === undefined) await checkBuildContext(inputs, process.cwd());
  return { plan: made, ...(inputs.reproducible && committed ? { sourceDateEpoch: Math.floor(committed.getTime() / 1000) } : {}) };
}

/** The job-private docker config (credentials never touch ~/.docker) and secret files. */
async function setUp(plan: Plan, inputs: Inputs): Promise<Docker> {
  await mkdir(plan.workDir, { recursive: true, mode: 0o700 });
  saveState({ workDir: plan.workDir });
  const loggingIn = plan.registries.filter((entry) => entry.provider).map((entry) => entry.registry);
  const config = await createPrivateDockerConfig(plan.workDir, process.env, loggingIn);
  saveState({ dockerConfig: config.dir, logins: loggingIn });
  config.warnings.forEach((warning) => core.warning(warning));
  const [buildxPlugin] = await Promise.all([findBuildxPlugin(config.dir), writeSecretFiles(inputs, plan.files)]);
  return new Docker(config.dir, 'docker', buildxPlugin);
}

/** Where the summary reads the platform manifests from: not Docker Hub, where each read is a pull; none when it is the only registry. */
const sizeSource = (plan: Plan): ImageReference | undefined => plan.references.find((reference) => !manifestGetsArePulls(reference.registry));

/**
 * What a pull of each platform downloads, for the summary: from the index verification read
 * and the platform manifests (`early`: reads started before, by digest). Best effort: a
 * failure just leaves the sizes out.
 */
async function imageSizes(read: ManifestReader, plan: Plan, index: string, early: ReadonlyMap<string, Promise<string | undefined>>): Promise<{ sizes?: Record<string, number> }> {
  const source = sizeSource(plan);
  if (!source) return {};
  try {
    const entries = await Promise.all(platformManifestDigests(index).map(async ({ digest }) => [digest, (await early.get(digest)) ?? (await read(byDigest(source, digest)))] as const));
    return { sizes: platformSizes(index, Object.fromEntries(entries), plan.platforms.length === 1 ? plan.platforms[0] : undefined) };
  } catch {
    return {};
  }
}

/** Which of the references hold `digest` now (after a failed push, for the error message): a HEAD each. */
async function landedTags(readDigest: DigestReader, references: readonly ImageReference[], digest: string | undefined): Promise<Set<string>> {
  const landed = new Set<string>();
  for (const reference of references) {
    const pointsTo = await readDigest(reference).catch(() => undefined);
    if (pointsTo !== undefined && digest && pointsTo === digest) landed.add(reference.full);
  }
  return landed;
}

function byDigest(reference: ImageReference, digest: string): ImageReference {
  return { ...reference, tag: digest, full: `${reference.registry}/${reference.repository}@${digest}` };
}

/** The repository owner from the payload, so GHCR links go to the right package page. */
function githubOwner(context: Context): { githubOwner?: { login: string; type: string } } {
  const owner = (context.payload.repository as { owner?: { login?: unknown; type?: unknown } } | undefined)?.owner;
  return typeof owner?.login === 'string' && typeof owner.type === 'string' ? { githubOwner: { login: owner.login, type: owner.type } } : {};
}

/** What every route is handed: the run so far. */
interface Run {
  readonly inputs: Inputs;
  readonly context: Context;
  readonly plan: Plan;
  readonly phases: Phases;
  readonly docker: Docker;
  readonly credentials: ReadonlyMap<string, BasicCredential>;
  readonly read: PreparedManifestReader;
  readonly retry: RetryPolicy;
  /** Aborted with the step: builds and pushes waiting to retry must not start again. */
  readonly stop: AbortSignal;
  readonly sourceDateEpoch?: number;
}

/** What the build routes need from probes started before the login. */
interface Probes {
  readonly buildx: Promise<BuildxVersion>;
  readonly engine: ReturnType<typeof inspectEngine>;
  readonly emulators: ReturnType<typeof readBinfmtEntries>;
}

/** Records what a route learned before a later phase of it fails (the summary still shows it). */
type Progress = (part: Partial<Report>) => void;

/**
 * The phases, in the order the README lists them: inputs, context, plan, setup, login, then
 * the route the plan names (merge, push-by-digest, or build with its optional gate).
 * `stop` is aborted when the runner stops the step (see index.ts).
 */
export async function run(stop: AbortSignal): Promise<void> {
  const phases = new Phases();
  let report: Report = { dryRun: false, tags: [], platforms: [], pushed: false, digest: '', imageId: '', metadata: '', phases: phases.timings };
  const progress: Progress = (part) => (report = { ...report, ...part });
  try {
    const inputs = await phases.run('inputs', readInputs);
    const context = await phases.run('context', () => readContext(process.env, process.cwd(), os.tmpdir()));
    const { plan: runPlan, sourceDateEpoch } = await phases.run('plan', () => plan(inputs, context));
    progress(planReport(inputs, context, runPlan));
    if (inputs.dryRun) {
      core.info('dry-run: stopping after the plan; no docker command was run.');
      return;
    }
    const retry: RetryPolicy = { retries: inputs.retries, delayMs: inputs.retryDelayMs, maxDelayMs: 60_000 };
    // Only asked when the engine might push instead of buildx (see buildArgsForBuilder), or
    // for a gha cache (see reachCache); a Go binary's start, so it starts now, beside the
    // set-up rather than the login.
    const buildx = runPlan.engineBuildArgs || runPlan.cache.mode === 'gha' ? readBuildxVersion(userDockerConfigDir(process.env)) : Promise.resolve<BuildxVersion>({ text: '' });
    // Registry checks (GET /v2/) start now and run while the step sets up.
    const health = startHealthChecks(runPlan.registries);
    for (const check of health.values()) check.catch(() => undefined);
    const docker = await phases.run('setup', () => setUp(runPlan, inputs));
    // What the engine and QEMU can do is asked now and answered while we log in.
    const engine = inspectEngine(docker, docker.configDir, process.env, inputs.builder);
    engine.catch(() => undefined);
    const emulators = readBinfmtEntries();
    const credentials = await phases.run('login', () => logIn(runPlan.registries, { inputs, context, env: process.env, mask: maskSecret }, docker, retry, core, health));
    const step: Run = {
      inputs,
      context,
      plan: runPlan,
      phases,
      docker,
      credentials,
      read: manifestReader(docker, credentials),
      retry,
      stop,
      ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
    };
    const probes: Probes = { buildx, engine, emulators };
    if (runPlan.merge !== undefined) progress(await mergeRoute(step, runPlan.merge));
    else if (runPlan.split && runPlan.push.push) progress(await pushByDigestRoute(step, runPlan.split, probes, progress));
    else progress(await buildRoute(step, probes, progress));
    const signing = runPlan.signing;
    if (signing && report.pushed) {
      const subject = await phases.run('subject', () => pushedSubject(step, report.digest));
      if (signing.sign) progress(await signRoute(step, signing.endpoints, subject));
      if (signing.attest) progress(await attestRoute(step, signing.endpoints, subject));
    } else if (signing) core.info('sign: nothing was pushed, so nothing is signed or attested');
  } catch (error) {
    const message = error instanceof PhaseError ? error.message : errorMessage(error);
    // A failed signature leaves the verified push as it is: pushed stays true, the signature empty.
    const pushedBeforeSigning = error instanceof PhaseError && ['subject', 'sign', 'attest'].includes(error.phase) && report.pushed;
    report = { ...report, pushed: pushedBeforeSigning, failure: message };
    if (error instanceof PhaseError && !error.expected && error.cause instanceof Error && error.cause.stack) core.debug(error.cause.stack);
    core.setFailed(message);
  } finally {
    await publish(report);
    // Credentials and temp files go as soon as the work is done, not at the end of the job;
    // the post step only runs when this could not finish (see action.yml post-if).
    // A stopped step is cleaned up by the signal handler in index.ts.
    if (!stop.aborted) {
      await settleChildren(10_000);
      await cleanUpAfterMain();
    }
    core.info(
      report.failure
        ? `build-push failed: ${report.failure.split('\n')[0]}`
        : `build-push: ${report.dryRun ? 'dry run' : report.pushed ? `pushed ${report.digest}` : `built, not pushed (${report.pushDecision?.reason})`}`,
    );
  }
}

/** What the plan puts in the report, dry run or not. */
function planReport(inputs: Inputs, context: Context, runPlan: Plan): Partial<Report> {
  return {
    dryRun: inputs.dryRun,
    tags: runPlan.tags,
    platforms: runPlan.platforms,
    pushDecision: runPlan.push,
    planText: describePlan(runPlan),
    separators: inputs.separators,
    ...githubOwner(context),
    ...(runPlan.metadata ? { tagging: runPlan.metadata } : {}),
  };
}

/** Route merge-digests: no build; the digests of earlier push-by-digest jobs merged into one index under every tag, and verified. */
async function mergeRoute({ plan: runPlan, inputs, context, phases, docker, read, retry }: Run, merge: NonNullable<Plan['merge']>): Promise<Partial<Report>> {
  const digests = await phases.run('merge', async () => {
    const sources = await readMergeDigests(merge, context.workspace);
    core.info(`Merging ${sources.join(', ')} into ${runPlan.tags.join(', ')}`);
    if (runPlan.push.push) await mergeDigests(docker, runPlan.references, sources, runPlan.metadata?.annotations ?? inputs.annotations, retry, core.info);
    return sources;
  });
  if (!runPlan.push.push) return {};
  const pushed = await phases.run('verify', async () => {
    // Every image of every source must be in the merged index, under every tag.
    const first = runPlan.references[0];
    if (!first) throw new ActionError('merge-digests needs images or tags to merge into');
    const sourceRaws = new Map(await Promise.all(digests.map(async (digest) => [digest, await read(byDigest(first, digest))] as const)));
    const mergedRaw = await read(first);
    const missing = missingFromMerge(mergedRaw, sourceRaws);
    if (missing.length > 0) throw new ActionError(`${first.full} does not list ${missing.join(', ')} from the merged digests`);
    const platforms = [...new Set([...sourceRaws.values()].flatMap((raw) => summarizeManifest(raw).platforms))];
    const merged = summarizeManifest(mergedRaw);
    return verifyPush(read, runPlan.references, merged.digest, platforms, retry, core.info);
  });
  core.info(`Verified ${runPlan.tags.join(', ')} → ${pushed.digest} (${pushed.platforms.join(', ')})`);
  return { pushed: true, digest: pushed.digest, platforms: pushed.platforms, attestations: pushed.attestations };
}

/** Route push-by-digest: one platform built and pushed without tags; its digest written to a file for the merge job. */
async function pushByDigestRoute(step: Run, split: NonNullable<Plan['split']>, probes: Probes, progress: Progress): Promise<Partial<Report>> {
  const { plan: runPlan, inputs, context, phases, credentials, read, retry } = step;
  const { builder, build } = await buildImage(step, probes, progress, (driver) => splitOutputArgs(driver, split.repositories, split.layoutDir));
  const pushed = await phases.run('push', async () =>
    builder.driver === 'docker' ? pushLayout(split.layoutDir, runPlan.references, credentials, { retry, log: core.info, tagged: false }) : { digest: build.digest, platforms: [split.platform] },
  );
  const digestFile = await writeDigestFile(inputs.digestDir ? path.resolve(context.workspace, inputs.digestDir) : path.join(context.runnerTemp, 'digests'), pushed.digest);
  core.info(`Digest ${pushed.digest} written to ${digestFile} for the merge job`);
  const pushedByDigest = runPlan.references.map((reference) => byDigest(reference, pushed.digest));
  const verified = await phases.run('verify', () => verifyPush(read, pushedByDigest, pushed.digest, [split.platform], retry, core.info));
  return { pushed: true, digest: pushed.digest, tags: [], attestations: verified.attestations, pushedByDigest: repositories(runPlan.references) };
}

/** Route build: build, then (optionally) the engine's push, the gate and its push, and the verification of every tag. */
async function buildRoute(step: Run, probes: Probes, progress: Progress): Promise<Partial<Report>> {
  const { plan: runPlan, inputs, phases, docker, credentials, read, retry, stop } = step;
  const { route, build, deadline } = await buildImage(step, probes, progress, () => []);
  const enginePush = { retry, log: core.info, stop, landedTags: () => landedTags(read.digest, runPlan.references, build.digest || build.imageId) };
  // The build's time limit covers this push; a gate's push comes after tests of any length and has none.
  if (route.pushFromEngine) await phases.run('push', () => pushFromEngine(docker, runPlan.tags, { ...enginePush, ...(deadline === undefined ? {} : { deadline, timeoutMs: inputs.timeoutMs }) }));

  const gate = runPlan.gate;
  /** The gated layout's index digest, once pushed: what every tag must hold. */
  let pushedLayout: string | undefined;
  if (gate) {
    const gateLayout = route.gateLayout;
    const source: GateSource = gateLayout
      ? { kind: 'layout', dir: gateLayout, localName: gate.localName, nativePlatform: runPlan.gateLayout?.nativePlatform ?? '' }
      : { kind: 'engine', image: runPlan.tags[0] ?? gate.localName };
    // Removed by clean-up whatever happens: what the gate loads (a user's own load stays).
    if (gateLayout) saveState({ loadedImages: gateImages(gate, source) });
    else if (!inputs.load) saveState({ loadedImages: runPlan.tags.length ? runPlan.tags : [gate.localName] });
    const result = await phases.run('gate', async () => {
      try {
        return await runGate(gate, source, docker, runPlan.workDir, core.info);
      } catch (error) {
        if (error instanceof GateFailure) progress({ gate: { ...error.partial, failureOutput: error.output } });
        throw error;
      }
    });
    progress({ gate: result });
    if (runPlan.push.push && gateLayout) {
      // The layout the gate read, byte for byte, under every tag.
      pushedLayout = (await phases.run('push', () => pushLayout(gateLayout, runPlan.references, credentials, { retry, log: core.info, tagged: true }))).digest;
    } else if (runPlan.push.push) {
      await phases.run('push', () => pushFromEngine(docker, runPlan.tags, enginePush));
    }
  }
  if (!runPlan.push.push) return {};

  // A gated image must be the one the gate saw: same digest (containerd store) or same config (classic store).
  let expected = pushedLayout ?? build.digest;
  if (gate && !pushedLayout) {
    const first = runPlan.references[0];
    const raw = first ? await withRetries(`reading ${first.full} back`, retry, () => read(first), { log: core.info }) : '';
    const landed = raw ? summarizeManifest(raw).digest : '';
    if (!gatedImageMatches(landed, raw, build.imageId)) {
      throw new PhaseError('verify', new ActionError(`${first?.full ?? 'the tag'} holds ${landed || 'nothing'}, which is not the gated image ${build.imageId}`));
    }
    expected = landed;
  }
  // The platform manifests buildx reported are read alongside verification, for the sizes in the summary.
  const source = sizeSource(runPlan);
  const early = new Map(source ? exportedImageManifests(build.output).map((digest) => [digest, read.direct(byDigest(source, digest)).catch(() => undefined)] as const) : []);
  const pushed = await phases.run('verify', () => verifyPush(read, runPlan.references, expected, runPlan.platforms, retry, core.info));
  const sizes = await imageSizes(read, runPlan, pushed.raw, early);
  core.info(`Verified ${runPlan.tags.join(', ')} → ${pushed.digest} (${pushed.platforms.join(', ')})`);
  return { pushed: true, digest: expected || pushed.digest, attestations: pushed.attestations, ...sizes };
}

/** The verified image as a descriptor (media type and size, read back by digest): what signatures and provenance refer to. */
async function pushedSubject({ plan: runPlan, read, retry }: Run, digest: string): Promise<Descriptor> {
  const first = sizeSource(runPlan) ?? runPlan.references[0];
  if (!first) throw new ActionError('no image to sign');
  const raw = await withRetries(`reading ${first.full} back to sign it`, retry, () => read(byDigest(first, digest)), { log: core.info });
  // The descriptor's size is of these bytes: they must be the verified ones.
  const { digest: served, mediaType } = summarizeManifest(raw);
  if (served !== digest) throw new ActionError(`${first.full}@${digest} was read back as ${served}: not signing bytes other than the verified ones`);
  return { mediaType, digest, size: Buffer.byteLength(raw) };
}

function describeInstance(endpoints: SigstoreEndpoints): string {
  const name = endpoints.instance === 'public-good' ? "Sigstore's public-good instance" : "GitHub's Sigstore instance";
  return `${name} (${[endpoints.fulcioURL, endpoints.rekorURL, endpoints.tsaURL].filter(Boolean).join(', ')})`;
}

/** What signing and attesting both need from the run. */
function signingDependencies({ retry }: Run) {
  return { idToken: (audience: string) => core.getIDToken(audience), retry, hooks: { log: core.info }, now: () => new Date() };
}

/**
 * After a verified push: a keyless Sigstore signature of the digest, stored as a referrer in
 * every repository it was pushed to (phases/sign.ts, loaded only here).
 */
async function signRoute(step: Run, endpoints: SigstoreEndpoints, subject: Descriptor): Promise<Partial<Report>> {
  const { plan: runPlan, context, phases, credentials } = step;
  return phases.run('sign', async () => {
    const { signImage, signTargets } = await import('./phases/sign.js');
    core.info(`Signing ${subject.digest} with ${describeInstance(endpoints)}`);
    const signed = await signImage(subject, signTargets(runPlan.references, credentials), endpoints, signingDependencies(step));
    for (const stored of signed.stored) core.info(`${stored.name}: signature ${signed.digest} stored (${stored.listing})`);
    return { signature: { digest: signed.digest, serverUrl: context.serverUrl, repository: context.repository } };
  });
}

/**
 * After a verified push: SLSA build provenance (@actions/attest's predicate), signed like the
 * signature, stored with GitHub's attestations API and as a referrer next to the image.
 */
async function attestRoute(step: Run, endpoints: SigstoreEndpoints, subject: Descriptor): Promise<Partial<Report>> {
  const { plan: runPlan, context, inputs, phases, credentials } = step;
  return phases.run('attest', async () => {
    if (!inputs.githubToken)
      throw new InputError('github-token', "is empty; attest stores the provenance with GitHub's attestations API", '${{ github.token }} (the default), with permissions: attestations: write');
    const [{ attestImage, signTargets }, { buildSLSAProvenancePredicate }, { getOctokit }] = await Promise.all([import('./phases/sign.js'), import('@actions/attest'), import('@actions/github')]);
    const [owner = '', repo = ''] = context.repository.split('/');
    const first = runPlan.references[0];
    core.info(`Attesting the build provenance of ${subject.digest} with ${describeInstance(endpoints)}`);
    const attested = await attestImage(subject, first ? `${first.registry}/${first.repository}` : '', signTargets(runPlan.references, credentials), endpoints, {
      ...signingDependencies(step),
      // The OIDC issuer whose keys check the job's token: GitHub's, unless BUILD_PUSH_OIDC_ISSUER names another (GHES, tests).
      provenance: () => buildSLSAProvenancePredicate(process.env.BUILD_PUSH_OIDC_ISSUER || undefined),
      storeAttestation: async (bundle) => {
        const response = await getOctokit(inputs.githubToken).request('POST /repos/{owner}/{repo}/attestations', { owner, repo, bundle });
        return Number((response.data as { id?: unknown }).id);
      },
      repositoryUrl: `${context.serverUrl}/${context.repository}`,
    });
    for (const stored of attested.stored) core.info(`${stored.name}: provenance ${attested.digest} stored (${stored.listing})`);
    core.info(`Attestation ${attested.id}: ${attested.url}`);
    return { attestation: { digest: attested.digest, url: attested.url, repository: context.repository } };
  });
}

/**
 * The phases both building routes share: qemu, builder, build. `output` is the buildx output
 * for the builder's driver (push-by-digest's; none for a plain build).
 */
async function buildImage(step: Run, probes: Probes, progress: Progress, output: (driver: string) => string[]) {
  const { plan: runPlan, inputs, phases, docker, read, retry, stop, sourceDateEpoch } = step;
  const pushRegistries = runPlan.registries.filter((entry) => entry.usedFor === 'push').map((entry) => entry.registry);
  await phases.run('qemu', async () => core.info(await ensureEmulation(runPlan.emulate, inputs.qemuImage, docker, core, probes.emulators)));
  const builder = await phases.run('builder', async () =>
    setUpBuilder(await probes.engine, runPlan.builder, HOST_ARCH, inputs.buildkitImage, docker, (name) => saveState({ builder: name }), core.info),
  );
  progress({ builder: builder.description });

  const { text: buildxVersion, version } = await probes.buildx;
  const route = buildArgsForBuilder(runPlan, builder, pushesTwiceWithDockerDriver(version));
  if (route.pushFromEngine) {
    core.info(`${buildxVersion} pushes twice with the docker driver on the containerd image store (fixed in buildx 0.22): it loads the image into the engine instead, which pushes it once`);
  }
  const cache = await reachCache(runPlan.cache, inputs.cache, version, docker, builder.name);
  const args = completeBuildArgs(cache === runPlan.cache ? route.args : withoutGhaCache(route.args, runPlan.cache), builder.name, output(builder.driver));
  const local = cache.local;
  // The time limit covers the build and any push after it.
  const deadline = inputs.timeoutMs === undefined ? undefined : Date.now() + inputs.timeoutMs;
  const build = await phases
    .run('build', async () => {
      core.info(`Cache: ${cache.reason}`);
      if (local) await restoreLocalCache(local, process.env, core.info);
      const building = runBuild(docker, args, runPlan.files, {
        // Also with the engine's push: a registry cache export is still buildx's push.
        pushes: runPlan.push.push,
        stop,
        pushRegistries,
        retry,
        log: core.info,
        ...(inputs.timeoutMs ? { timeoutMs: inputs.timeoutMs } : {}),
        ...(sourceDateEpoch === undefined ? {} : { sourceDateEpoch }),
      });
      // While buildx works: connect and authorize for the read-back, so verifying costs one round trip.
      if (runPlan.push.push) setImmediate(() => runPlan.references.forEach((reference) => void read.prepare(reference)));
      const result = await building;
      for (const failure of failedCacheExports(result.output)) core.warning(`The build cache was not written (${failure}); the image is built all the same`);
      if (local) await saveLocalCache(local, process.env, core.info);
      return result;
    })
    .catch(async (error: unknown) => {
      // A push that failed part-way: say exactly which tags now hold the new image.
      const failure = error instanceof PhaseError ? error.cause : undefined;
      if (!(failure instanceof BuildFailure) || !runPlan.push.push || route.pushFromEngine || !isPushFailure(failure.output)) throw error;
      const landed = await landedTags(read.digest, runPlan.references, exportedDigest(failure.output));
      throw new PhaseError('build', new ActionError(`${failure.message}\n${partialPushReport(runPlan.tags, landed)}`));
    });
  progress({ digest: build.digest, imageId: build.imageId, metadata: build.metadata, cache: { mode: cache.mode, reason: cache.reason, ...cacheStats(build.output) } });
  return { builder, route, build, deadline };
}

/**
 * The cache as this builder can use it: gha needs a buildx and BuildKit that speak the job's
 * cache service (v2 on github.com). `cache: auto` then goes without a cache and says why;
 * `cache: gha`, asked for by name, fails the step.
 */
async function reachCache(plan: CachePlan, asked: Inputs['cache'], buildx: readonly [number, number, number] | undefined, docker: Docker, builderName: string | undefined): Promise<CachePlan> {
  if (plan.mode !== 'gha') return plan;
  const service = cacheServiceOf(process.env);
  const buildkit = service === 'v2' ? await readBuildkitVersion(docker, builderName) : undefined;
  const reach = ghaCacheReach(service, buildx, buildkit);
  if (reach.reachable) {
    core.info(`Cache: gha reaches ${reach.reason}`);
    return plan;
  }
  // Asked for by name, it is never dropped with only a warning: the step fails and says what works.
  if (asked !== 'auto') throw new InputError('cache', `gha cannot be used here: ${reach.reason}`, 'registry, local, or auto (no cache where gha cannot work)');
  return { mode: 'none', reason: `no cache: ${reach.reason} (cache: local caches through the step itself)`, from: [], to: [] };
}

/**
 * Removes what this step set up (see cleanup.ts) and records for post that it is done;
 * within `limitMs` when the runner is about to kill the step.
 */
export async function cleanUpAfterMain(limitMs?: number): Promise<void> {
  const state = savedState();
  if (!state.workDir) return;
  const cleaning = cleanUp(state, core);
  const cleaned = limitMs === undefined ? await cleaning : await Promise.race([cleaning, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), limitMs).unref())]);
  if (cleaned) saveState({ cleanedUp: true });
}
