import { randomUUID } from 'node:crypto';
import { mkdir, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from './runner.js';
import { checkBuildContext, runBuild, writeSecretFiles, type BuildResult } from './build.js';
import { chooseBuilder, createBuilder, inspectEngine } from './buildx/builder.js';
import { Docker } from './buildx/exec.js';
import { dockerArchitecture, ensureEmulation } from './buildx/qemu.js';
import { manifestReader, verifyPush, type ManifestSummary } from './buildx/verify.js';
import type { BasicCredential } from './registries/client.js';
import { readContext } from './context.js';
import { errorMessage } from './errors.js';
import { INPUT_NAMES, parseInputs, type Inputs, type RawInputs } from './inputs.js';
import { PhaseError, Phases } from './phase.js';
import { makePlan, type Plan } from './plan.js';
import { createPrivateDockerConfig } from './registries/docker-config.js';
import { providerNamed } from './registries/index.js';
import type { ProviderEnvironment } from './registries/provider.js';
import { dockerLogin } from './registries/login.js';
import { saveState } from './state.js';
import { publish, type Report } from './summary.js';

function readRawInputs(): RawInputs {
  return Object.fromEntries(INPUT_NAMES.map((name) => [name, core.getInput(name)])) as RawInputs;
}

/** The plan as users read it in the log and in dry-run output (no secrets: the plan holds none). */
function describePlan(plan: Plan): string {
  return JSON.stringify(
    {
      push: plan.push,
      tags: plan.tags,
      platforms: plan.platforms,
      emulate: plan.emulate,
      registries: plan.registries,
      buildx: ['docker', ...plan.buildArgs],
    },
    null,
    2,
  );
}

async function run(): Promise<void> {
  const phases = new Phases();
  let report: Report = { dryRun: false, tags: [], platforms: [], pushed: false, digest: '', imageId: '', metadata: '', phases: phases.timings };
  try {
    const inputs: Inputs = await phases.run('inputs', () => parseInputs(readRawInputs(), (secret) => core.setSecret(secret)));
    const context = await phases.run('context', () => readContext(process.env, (file) => readFileSync(file, 'utf8'), process.cwd(), os.tmpdir()));
    const workDir = path.join(context.runnerTemp, `build-push-${randomUUID().slice(0, 8)}`);
    const plan = await phases.run('plan', async () => {
      const made = makePlan(inputs, context, { architecture: dockerArchitecture(process.arch), workDir, env: process.env });
      core.info(`Push: ${made.push.push ? 'yes' : 'no'} (${made.push.reason})`);
      core.info(describePlan(made));
      await checkBuildContext(inputs, process.cwd());
      return made;
    });
    report = { ...report, dryRun: inputs.dryRun, tags: plan.tags, platforms: plan.platforms, pushDecision: plan.push, planText: describePlan(plan) };
    if (inputs.dryRun) {
      core.info('dry-run: stopping after the plan; no docker command was run.');
      return;
    }

    const docker = await phases.run('setup', async () => {
      await mkdirPrivate(workDir);
      saveState({ workDir });
      const registriesWithCredentials = plan.registries.filter((entry) => entry.provider).map((entry) => entry.registry);
      const config = await createPrivateDockerConfig(workDir, process.env, registriesWithCredentials);
      saveState({ dockerConfig: config.dir });
      config.warnings.forEach((warning) => core.warning(warning));
      await writeSecretFiles(inputs, plan.files);
      return new Docker(config.dir);
    });

    // Asking the engine what it can do takes a while; it runs while we log in and check QEMU.
    const engineProbe = inspectEngine(docker, docker.configDir, process.env);
    engineProbe.catch(() => undefined);

    const credentials = new Map<string, BasicCredential>();
    await phases.run('login', async () => {
      const providerEnvironment: ProviderEnvironment = { inputs, context, env: process.env, mask: (secret) => core.setSecret(secret) };
      const toLogIn = plan.registries.filter((entry) => entry.provider);
      for (const entry of plan.registries.filter((candidate) => !candidate.provider && candidate.usedFor === 'push')) {
        core.warning(`${entry.registry}: this step has no credentials for it (needs ${entry.missing}); pushing with whatever the runner's docker config holds`);
      }
      // Recorded before logging in, so post cleans up after a login that fails half-way.
      saveState({ logins: toLogIn.map((entry) => entry.registry) });
      await Promise.all(
        toLogIn.map(async (entry) => {
          try {
            const credential = await providerNamed(entry.provider ?? '').credential(entry.registry, providerEnvironment);
            await dockerLogin(docker, credential);
            credentials.set(entry.registry, credential);
            core.info(`${entry.registry}: logged in as ${credential.username} (${credential.provider})`);
          } catch (error) {
            // Without a push, a missing login only matters for private base images: warn, build on.
            if (entry.usedFor === 'push') throw error;
            core.warning(`${entry.registry}: no login (${errorMessage(error)}); building without it since this run does not push there`);
          }
        }),
      );
    });

    await phases.run('qemu', async () => core.info(await ensureEmulation(plan.emulate, inputs.qemuImage, docker)));

    const builder = await phases.run('builder', async () => {
      const engine = await engineProbe;
      const choice = chooseBuilder(engine.builder, inputs.platforms, engine.containerdStore, dockerArchitecture(process.arch));
      core.info(choice.reason);
      if (choice.kind === 'current') return { name: undefined, description: choice.reason };
      const name = `build-push-${randomUUID().slice(0, 8)}`;
      saveState({ builder: name });
      core.info(`Creating docker-container builder ${name} with ${inputs.buildkitImage}`);
      await createBuilder(docker, name, inputs.buildkitImage);
      return { name, description: `${name} (docker-container, created because ${choice.reason})` };
    });
    report = { ...report, builder: builder.description };

    const args = builder.name ? ['buildx', 'build', '--builder', builder.name, ...plan.buildArgs.slice(2)] : [...plan.buildArgs];
    const build: BuildResult = await phases.run('build', () => runBuild(docker, args, plan.files, plan.registries.filter((entry) => entry.usedFor === 'push').map((entry) => entry.registry)));
    report = { ...report, digest: build.digest, imageId: build.imageId, metadata: build.metadata };

    if (plan.push.push) {
      const pushed: ManifestSummary = await phases.run('verify', () => verifyPush(manifestReader(docker, credentials), inputs.tags, build.digest, plan.platforms));
      report = { ...report, pushed: true, digest: build.digest || pushed.digest, attestations: pushed.attestations };
      core.info(`Verified ${plan.tags.join(', ')} → ${pushed.digest} (${pushed.platforms.join(', ')})`);
    }
  } catch (error) {
    const message = error instanceof PhaseError ? error.message : errorMessage(error);
    report = { ...report, pushed: false, failure: message };
    if (error instanceof PhaseError && !error.expected && error.cause instanceof Error && error.cause.stack) core.debug(error.cause.stack);
    core.setFailed(message);
  } finally {
    publish(report);
    core.info(
      report.failure
        ? `build-push failed: ${report.failure.split('\n')[0]}`
        : `build-push: ${report.dryRun ? 'dry run' : report.pushed ? `pushed ${report.digest}` : `built, not pushed (${report.pushDecision?.reason})`}`,
    );
  }
}

function mkdirPrivate(dir: string): Promise<void> {
  return new Promise((resolve, reject) => mkdir(dir, { recursive: true, mode: 0o700 }, (error) => (error ? reject(error) : resolve())));
}

void run();
