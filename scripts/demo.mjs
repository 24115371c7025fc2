// Runs the action (dist/) like the GitHub runner would on a push to main, then reads
// the result back from the registry. Called by scripts/demo.sh after the set-up.
import { readdirSync } from 'node:fs';
import { loadEngineEnv, registryManifest, indexPlatforms } from '../test/e2e/engine.mjs';
import { runAction } from '../test/e2e/runner.mjs';

const engine = loadEngineEnv();
const repository = 'demo/example-app';
const tags = [`${engine.registry}/${repository}:latest`, `${engine.registry}/${repository}:sha-0123456`];
const result = await runAction({
  eventName: 'push',
  ref: 'refs/heads/main',
  payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/example-app', default_branch: 'main' } },
  inputs: {
    tags: tags.join('\n'),
    context: 'example/app',
    'build-args': `BASE_IMAGE=${engine.baseImage}`,
    'registry-auth': `- registry: ${engine.registry}\n  username: ${engine.username}\n  password: ${engine.password}\n`,
  },
  onLine: (line) => {
    if (!line.startsWith('::add-mask::')) process.stderr.write(`${line.split(engine.password).join('***')}\n`);
  },
});
if (!result.succeeded) {
  console.error(
    `\nThe action failed: ${result.main.stdout
      .split('\n')
      .filter((line) => line.startsWith('::error::'))
      .join('\n')}`,
  );
  process.exit(1);
}
const manifest = await registryManifest(engine, repository, 'latest');
console.log('');
console.log(`tags:      ${result.outputs.tags.split('\n').join(', ')}`);
console.log(`digest:    ${result.outputs.digest} (registry says ${manifest.digest})`);
console.log(`platforms: ${indexPlatforms(manifest.json).join(', ')}`);
console.log(`pushed:    ${result.outputs.pushed}`);
// Main cleans up after itself; the post step runs only after a failure or a cancel (post-if).
const leftovers = readdirSync(result.runnerTemp).filter((entry) => entry.startsWith('build-push-'));
const postStep = result.post ? `post step ran (exit ${result.post.exitCode})` : 'post step skipped (post-if: failure() || cancelled())';
console.log(`clean-up:  ${leftovers.length === 0 ? 'logged out, temp files removed' : `LEFT BEHIND: ${leftovers.join(', ')}`}; ${postStep}`);
if (leftovers.length > 0) process.exit(1);
