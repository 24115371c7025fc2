// The gate (issue "Gate the push"): tests and a scan run on the exact image that is then
// pushed, end to end on the real engine and registry.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { docker, imageStore, indexPlatforms, loadEngineEnv, registryManifest, runnerHome, type Engine } from './engine.mjs';
import { runAction, type ActionRun } from './runner.mjs';

let engine: Engine;
let home: string;

beforeAll(() => {
  engine = loadEngineEnv();
  home = runnerHome();
});

function gated(tag: string, extra: Record<string, string>, marker = false): Record<string, string> {
  return {
    tags: tag,
    context: 'test/fixtures/gated-app',
    'build-args': `BASE_IMAGE=${engine.baseImage}\nSCAN_MARKER=${marker ? 1 : 0}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
    'retry-delay': '200ms',
    ...extra,
  };
}

async function run(eventName: string, inputs: Record<string, string>): Promise<ActionRun> {
  return await runAction({ home, eventName, ...(eventName === 'pull_request' ? { ref: 'refs/pull/3/merge' } : {}), inputs });
}

const repository = `e2e/gate-${randomUUID().slice(0, 8)}`;
const errorLine = (result: ActionRun): string =>
  result.main.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .join('\n');

describe('gate', () => {
  it('a passing test and scan → pushed, and the pushed digest is the tested image', async () => {
    const result = await run('push', gated(`${engine.registry}/${repository}:pass`, { test: 'cat /arch', scan: 'test/fixtures/scanner.sh {oci}' }));
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs).toMatchObject({ tested: 'true', scanned: 'true', pushed: 'true' });
    const manifest = await registryManifest(engine, repository, 'pass');
    expect(manifest.status).toBe(200);
    expect(indexPlatforms(manifest.json!)).toEqual(['linux/amd64', 'linux/arm64']);
    // The loaded image's ID is its index digest: what was tested and scanned is what landed.
    expect(result.outputs.imageid).toBe(manifest.digest);
    expect(result.outputs.digest).toBe(manifest.digest);
    expect(result.main.log).toMatch(/Testing .* on linux\/amd64: cat \/arch\n(?:\[command\].*\n)?x86_64/);
    expect(result.summary).toContain("- **Gate** tested and scanned; the pushed digest is the gated image's");
    expect(result.main.log).toContain('Removed the gated image');
    if (imageStore() === 'classic') {
      // One build into an OCI layout; each tested platform loaded from it by itself; that layout pushed.
      expect(result.main.log).toMatch(/--output type=oci,dest=\S+gate-layout,tar=false/);
      expect(result.main.log).toMatch(/Loaded linux\/amd64 of the built index as build-push-gate:\S+-linux-amd64 \(image ID sha256:[0-9a-f]{64}/);
      expect(result.main.log).toContain(`Pushed ${engine.registry}/${repository}@${manifest.digest}`);
      expect(docker(['image', 'ls', '--format', '{{.Repository}}', 'build-push-gate']).stdout.trim()).toBe('');
    }
  });

  it('a failing test → the step fails, nothing is pushed', async () => {
    const result = await run('push', gated(`${engine.registry}/${repository}:failtest`, { test: 'sh -c "echo 2 tests failed; exit 4"' }));
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toMatch(/gate: the test failed on linux\/amd64 \(exit code 4\); nothing was pushed/);
    expect(result.outputs).toMatchObject({ pushed: 'false', tested: 'false' });
    expect(result.summary).toContain('2 tests failed');
    expect((await registryManifest(engine, repository, 'failtest')).status).toBe(404);
  });

  it('a scan that finds the marker (read from {oci}) → no push', async () => {
    const result = await run('push', gated(`${engine.registry}/${repository}:vulnerable`, { test: 'cat /arch', scan: 'test/fixtures/scanner.sh {oci}' }, true));
    expect(result.main.exitCode).toBe(1);
    expect(errorLine(result)).toMatch(/gate: the scan failed \(exit code 1\); nothing was pushed.*CRITICAL: scan-marker found/);
    expect(result.outputs).toMatchObject({ pushed: 'false', tested: 'true', scanned: 'false' });
    expect((await registryManifest(engine, repository, 'vulnerable')).status).toBe(404);
  });

  it('a scan reading the loaded image through {image} works too', async () => {
    const scan = 'sh -c "docker run --rm --entrypoint sh \\"$0\\" -c \\"test ! -e /scan-marker\\"" {image}';
    const clean = await run('push', gated(`${engine.registry}/${repository}:image-clean`, { scan }));
    expect(clean.main.exitCode, clean.main.log).toBe(0);
    const dirty = await run('push', gated(`${engine.registry}/${repository}:image-dirty`, { scan }, true));
    expect(dirty.main.exitCode).toBe(1);
    expect((await registryManifest(engine, repository, 'image-dirty')).status).toBe(404);
  });

  it('tests the arm64 image under QEMU with test-platforms', async () => {
    const result = await run('push', gated(`${engine.registry}/${repository}:arm`, { test: 'cat /arch', 'test-platforms': 'linux/arm64' }));
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.main.log).toMatch(/Testing .* on linux\/arm64: cat \/arch\n(?:\[command\].*\n)?aarch64/);
    expect(result.outputs.tested).toBe('true');
    // On the classic store the arm64 image ran is the one in the pushed index: its config digest is the image ID loaded.
    if (imageStore() === 'classic') expect(result.main.log).toMatch(/Loaded linux\/arm64 of the built index as \S+ \(image ID sha256:[0-9a-f]{64}/);
  });

  it('runs on a pull request without pushing', async () => {
    const result = await run('pull_request', gated(`${engine.registry}/${repository}:pr-3`, { test: 'cat /arch', scan: 'test/fixtures/scanner.sh {oci}' }));
    expect(result.main.exitCode, result.main.log).toBe(0);
    expect(result.outputs).toMatchObject({ tested: 'true', scanned: 'true', pushed: 'false' });
    expect(result.main.log).not.toContain('[command]docker push');
    expect((await registryManifest(engine, repository, 'pr-3')).status).toBe(404);
    // The gated image was removed from the local store by the post step.
    expect(docker(['image', 'inspect', `${engine.registry}/${repository}:pr-3`]).status).not.toBe(0);
  });
});
