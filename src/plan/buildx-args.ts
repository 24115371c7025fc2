import * as path from 'node:path';
import type { Inputs } from './inputs.js';

/** Files the build writes that the action reads back or hands to buildx. */
export interface BuildFiles {
  readonly metadataFile: string;
  readonly iidFile: string;
  /** Build secret id → file holding its value (values never go in argv). */
  readonly secretFiles: ReadonlyMap<string, string>;
}

export function buildFiles(workDir: string, inputs: Pick<Inputs, 'secrets'>): BuildFiles {
  return {
    metadataFile: path.join(workDir, 'metadata.json'),
    iidFile: path.join(workDir, 'iid.txt'),
    secretFiles: new Map(inputs.secrets.map((secret, index) => [secret.id, path.join(workDir, 'secrets', `${index}`)])),
  };
}

/** Where the result goes: pushed by buildx, loaded into the image store (for a gate), or both/neither. */
export interface BuildOutput {
  readonly push: boolean;
  readonly load: boolean;
  /** Tags beyond the inputs' (a local name for a gated image without tags). */
  readonly extraTags?: readonly string[];
}

/**
 * The exact `docker buildx build` argv for these inputs. `builder` is only set when
 * the action created its own builder.
 */
export function buildxBuildArgs(inputs: Inputs, output: BuildOutput | boolean, files: BuildFiles, builder?: string): string[] {
  const { push, load, extraTags = [] }: BuildOutput = typeof output === 'boolean' ? { push: output, load: inputs.load } : output;
  const args = ['buildx', 'build'];
  const add = (flag: string, values: readonly string[]): void => {
    for (const value of values) args.push(flag, value);
  };
  if (builder) args.push('--builder', builder);
  args.push('--platform', inputs.platforms.map((platform) => platform.name).join(','));
  if (inputs.file) args.push('--file', inputs.file);
  if (inputs.target) args.push('--target', inputs.target);
  add('--build-arg', inputs.buildArgs);
  add('--label', inputs.labels);
  // buildx refuses index-level annotations when it exports a single platform (no index of its own).
  add('--annotation', inputs.platforms.length > 1 ? inputs.annotations : inputs.annotations.filter((annotation) => !annotation.startsWith('index')));
  add('--tag', [...inputs.tags.map((tag) => tag.full), ...extraTags]);
  add(
    '--secret',
    [...files.secretFiles].map(([id, file]) => `id=${id},src=${file}`),
  );
  add('--cache-from', inputs.cacheFrom);
  add('--cache-to', inputs.cacheTo);
  add('--output', inputs.outputs);
  if (inputs.provenance !== undefined) args.push(`--provenance=${inputs.provenance}`);
  if (inputs.sbom !== undefined) args.push(`--sbom=${inputs.sbom}`);
  if (inputs.noCache) args.push('--no-cache');
  if (inputs.pull) args.push('--pull');
  if (load) args.push('--load');
  if (push) args.push('--push');
  args.push('--metadata-file', files.metadataFile, '--iidfile', files.iidFile);
  args.push(inputs.context);
  return args;
}

/**
 * The planned argv completed with what only the run knows: the builder the action created
 * (right after `buildx build`) and extra outputs (before the context, which stays last).
 */
export function completeBuildArgs(planned: readonly string[], builder: string | undefined, outputs: readonly string[]): string[] {
  const [buildx = 'buildx', build = 'build', ...rest] = planned;
  const context = rest.slice(-1);
  return [buildx, build, ...(builder ? ['--builder', builder] : []), ...rest.slice(0, -1), ...outputs, ...context];
}
