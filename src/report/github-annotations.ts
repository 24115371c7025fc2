/**
 * Build errors as GitHub annotations on the Dockerfile line buildx reports.
 *
 * When a step fails, buildx prints (plain progress, which it uses without a TTY):
 *
 *   #5 [2/2] RUN echo "about to fail" && exit 3
 *   #5 ERROR: process "/bin/sh -c ..." did not complete successfully: exit code: 3
 *   ------
 *    > [2/2] RUN echo "about to fail" && exit 3:
 *   0.549 about to fail
 *   ------
 *   Dockerfile:2
 *   --------------------
 *      1 |     FROM busybox
 *      2 | >>> RUN echo "about to fail" && exit 3
 *   --------------------
 *   ERROR: failed to solve: process "/bin/sh -c ..." did not complete successfully: exit code: 3
 *
 * A Dockerfile syntax error has only the `Dockerfile:N` excerpt and the `ERROR:` line.
 * buildx names the Dockerfile by its base name only, so the path comes from the caller.
 */
import * as path from 'node:path';
import * as core from '@actions/core';

export interface Annotation {
  /** Path of the Dockerfile relative to the repository root (what GitHub links). */
  readonly file: string;
  readonly line: number;
  /** Last line of a multi-line instruction (all `>>>` lines), when it spans several. */
  readonly endLine?: number;
  readonly title: string;
  readonly message: string;
}

const EXCERPT_RULE = /^-{20}$/;
const STEP_RULE = /^-{6}$/;
/** `Dockerfile:2`, `app.Dockerfile:6`, and `Dockerfile:2-4` in some buildx versions. */
const LOCATION = /^(\S(?:.*\S)?):(\d+)(?:-(\d+))?$/;
const EXCERPT_LINE = /^\s*(\d+)\s*\|\s?(>>>)?/;
const VERTEX_NAME = /^#(\d+) \[([^\]]+)\] (.*)$/;
const VERTEX_ERROR = /^#(\d+) ERROR: (.*)$/;
/** buildx's log-line timestamp inside a step's output block (`0.549 about to fail`). */
const TIMESTAMP = /^\d+\.\d+ /;
const MAX_OUTPUT_LINES = 10;
const MAX_TITLE = 120;

interface FailedStep {
  readonly name: string;
  readonly output: string[];
}

/** `failed to solve: failed to compute cache key: x` → `failed to compute cache key: x`; `failed to build: failed to solve: y` → `y`. */
function reason(errorLine: string): string {
  return errorLine
    .replace(/^ERROR:\s*/, '')
    .replace(/^(?:failed to (?:build|solve):\s*)+/, '')
    .trim();
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** `[linux/amd64 stage-1 1/1] RUN uname -m && exit 7` → instruction RUN, platform linux/amd64. */
function describeStep(step: string | undefined, why: string): string {
  if (/dockerfile parse error/i.test(why)) return 'Dockerfile parse error';
  const match = step ? /^\[([^\]]*)\] (\S+)/.exec(step) : null;
  if (!match?.[2]) return 'docker build failed';
  const instruction = match[2].toUpperCase();
  const platform = /(?:^|\s)([a-z]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?)(?:\s|$)/.exec(match[1] ?? '')?.[1];
  const exit = /exit code: (\d+)\s*$/.exec(why)?.[1];
  return `${instruction} failed${exit ? ` with exit code ${exit}` : ''}${platform ? ` (${platform})` : ''}`;
}

/**
 * Finds every error buildx located in the Dockerfile. `dockerfilePath` is the file as
 * the repository has it (e.g. `docker/app.Dockerfile`); without it, the name buildx
 * printed is used. Errors buildx did not locate (a failed push, a cache export) give none.
 */
export function dockerfileAnnotations(buildxOutput: string, dockerfilePath?: string): Annotation[] {
  const lines = buildxOutput.split(/\r?\n/);
  const vertexNames = new Map<string, string>();
  const vertexErrors: { name: string | undefined; error: string }[] = [];
  const annotations: Annotation[] = [];
  let lastStep: FailedStep | undefined;

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const vertex = VERTEX_NAME.exec(line);
    if (vertex?.[1] && !vertexNames.has(vertex[1])) vertexNames.set(vertex[1], `[${vertex[2]}] ${vertex[3]}`);
    const vertexError = VERTEX_ERROR.exec(line);
    if (vertexError?.[1]) vertexErrors.push({ name: vertexNames.get(vertexError[1]), error: vertexError[2] ?? '' });

    // ------ / " > [2/2] RUN ...:" / output lines / ------
    if (STEP_RULE.test(line) && /^ > \[/.test(lines[index + 1] ?? '')) {
      const name = (lines[index + 1] ?? '').replace(/^ > /, '').replace(/:$/, '');
      const output: string[] = [];
      for (index += 2; index < lines.length && !STEP_RULE.test(lines[index] ?? ''); index++) output.push((lines[index] ?? '').replace(TIMESTAMP, ''));
      lastStep = { name, output };
      continue;
    }

    // Dockerfile:2 / -------------------- / excerpt / -------------------- / ERROR: ...
    const location = LOCATION.exec(line);
    if (!location?.[1] || !EXCERPT_RULE.test(lines[index + 1] ?? '')) continue;
    const marked: number[] = [];
    for (index += 2; index < lines.length && !EXCERPT_RULE.test(lines[index] ?? ''); index++) {
      const excerpt = EXCERPT_LINE.exec(lines[index] ?? '');
      if (excerpt?.[2]) marked.push(Number(excerpt[1]));
    }
    let errorLine = '';
    for (let next = index + 1; next < lines.length && next <= index + 5; next++) {
      if (/^ERROR:/.test(lines[next] ?? '')) {
        errorLine = lines[next] ?? '';
        break;
      }
    }
    const fallback = vertexErrors.at(-1);
    const why = reason(errorLine) || fallback?.error || 'the build failed here';
    const stepName = lastStep?.name ?? fallback?.name;
    const first = marked.length ? Math.min(...marked) : Number(location[2]);
    const last = marked.length ? Math.max(...marked) : Number(location[3] ?? location[2]);
    const output = (lastStep?.output ?? []).filter((text) => text.trim() !== '').slice(-MAX_OUTPUT_LINES);
    const message = [why, ...(stepName ? [`Step: ${stepName}`] : []), ...(output.length ? ['Output (last lines):', ...output] : [])].join('\n');
    const annotation: Annotation = {
      file: dockerfilePath ?? location[1],
      line: first,
      ...(last > first ? { endLine: last } : {}),
      title: clip(describeStep(stepName, why), MAX_TITLE),
      message,
    };
    if (!annotations.some((known) => known.file === annotation.file && known.line === annotation.line && known.message === annotation.message)) annotations.push(annotation);
    lastStep = undefined;
  }
  return annotations;
}

/** Writes one `::error file=...,line=...` annotation (the runner links it to the Dockerfile line). */
export function emitAnnotation(annotation: Annotation): void {
  core.error(annotation.message, {
    title: annotation.title,
    file: annotation.file,
    startLine: annotation.line,
    ...(annotation.endLine !== undefined && annotation.endLine > annotation.line ? { endLine: annotation.endLine } : {}),
  });
}

/**
 * The Dockerfile a `docker buildx build` argv builds, relative to the workspace: the
 * `--file`/`-f` value (buildx resolves it against the working directory), else
 * `<context>/Dockerfile`. Undefined for stdin (`-f -`) and remote contexts without `--file`.
 */
export function dockerfileFromBuildArgs(args: readonly string[], workspace: string): string | undefined {
  let file: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--file' || arg === '-f') file = args[index + 1];
    else if (arg.startsWith('--file=')) file = arg.slice('--file='.length);
  }
  const context = args.at(-1) ?? '.';
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@');
  if (file === '-' || (!file && (remote || context === '-'))) return undefined;
  const chosen = file ?? path.join(context, 'Dockerfile');
  const absolute = path.resolve(workspace, chosen);
  const relative = path.relative(workspace, absolute);
  // Outside the workspace GitHub cannot link it; the path as given still tells the user which file.
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? chosen : relative;
  return shown.split(path.sep).join('/');
}

/** Emits one `::error file=...` annotation per located build error. Never throws. */
export function emitDockerfileAnnotations(buildxOutput: string, args: readonly string[], workspace = process.env.GITHUB_WORKSPACE || process.cwd()): void {
  try {
    for (const annotation of dockerfileAnnotations(buildxOutput, dockerfileFromBuildArgs(args, workspace))) emitAnnotation(annotation);
  } catch (error) {
    core.debug(`could not annotate the Dockerfile: ${String(error)}`);
  }
}
