import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dockerfileAnnotations, dockerfileFromBuildArgs, emitAnnotation, emitDockerfileAnnotations, type Annotation } from '../../src/report/github-annotations.js';

// Captured from the real engine (docker 26, buildx 0.13, plain progress as without a TTY):
// see test/fixtures/buildx/README.md for the Dockerfiles and commands.
const fixture = (name: string): string => readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'buildx', name), 'utf8');

describe('dockerfileAnnotations (real buildx output)', () => {
  it('points a failing RUN at its line, with the exit code and the step output', () => {
    expect(dockerfileAnnotations(fixture('run-exit-3.txt'), 'app/Dockerfile')).toEqual([
      {
        file: 'app/Dockerfile',
        line: 2,
        title: 'RUN failed with exit code 3',
        message: [
          'process "/bin/sh -c echo \\"about to fail\\" && exit 3" did not complete successfully: exit code: 3',
          'Step: [2/2] RUN echo "about to fail" && exit 3',
          'Output (last lines):',
          'about to fail',
        ].join('\n'),
      },
    ]);
  });

  it('points a Dockerfile syntax error at its line', () => {
    expect(dockerfileAnnotations(fixture('syntax-error.txt'), 'Dockerfile')).toEqual([
      { file: 'Dockerfile', line: 3, title: 'Dockerfile parse error', message: 'dockerfile parse error on line 3: unknown instruction: COPYY (did you mean COPY?)' },
    ]);
  });

  it('names the platform of a multi-platform build and the file given with --file', () => {
    expect(dockerfileAnnotations(fixture('multi-platform-stage.txt'), 'multi/build/app.Dockerfile')).toEqual([
      {
        file: 'multi/build/app.Dockerfile',
        line: 6,
        title: 'RUN failed with exit code 7 (linux/amd64)',
        message: [
          'process "/bin/sh -c uname -m && exit 7" did not complete successfully: exit code: 7',
          'Step: [linux/amd64 stage-1 1/1] RUN uname -m && exit 7',
          'Output (last lines):',
          'x86_64',
        ].join('\n'),
      },
    ]);
  });

  it('reports the broken example app once when both platforms fail, at the line after the ARG and FROM', () => {
    const annotations = dockerfileAnnotations(fixture('broken-app-two-platforms.txt'), 'test/fixtures/broken-app/Dockerfile');
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatchObject({ file: 'test/fixtures/broken-app/Dockerfile', line: 3, title: 'RUN failed with exit code 3 (linux/amd64)' });
    expect(annotations[0]?.message.split('\n').at(-1)).toBe('about to fail');
  });

  it('covers every line of an instruction continued over several lines', () => {
    const [annotation] = dockerfileAnnotations(fixture('multi-line-run.txt'), 'Dockerfile');
    expect(annotation).toMatchObject({ line: 2, endLine: 4, title: 'RUN failed with exit code 1' });
    expect(annotation?.message.split('\n').slice(-2)).toEqual(['a', 'b']);
  });

  it('reports a COPY of a missing file without the buildx prefixes', () => {
    const [annotation] = dockerfileAnnotations(fixture('copy-missing.txt'), 'Dockerfile');
    expect(annotation).toMatchObject({ line: 2, title: 'COPY failed' });
    expect(annotation?.message.split('\n')[0]).toMatch(/^failed to compute cache key: failed to calculate checksum of ref .*"\/missing.txt": not found$/);
    expect(annotation?.message).toContain('Step: [2/2] COPY missing.txt /');
    expect(annotation?.message).not.toContain('Output (last lines)');
  });

  it('uses the name buildx printed when the path is not known', () => {
    expect(dockerfileAnnotations(fixture('multi-platform-stage.txt'))[0]?.file).toBe('app.Dockerfile');
  });

  it('finds nothing in a build that succeeded', () => {
    expect(dockerfileAnnotations(fixture('build-ok-cached.txt'), 'Dockerfile')).toEqual([]);
    expect(dockerfileAnnotations(fixture('build-partly-cached.txt'), 'Dockerfile')).toEqual([]);
  });
});

describe('dockerfileAnnotations (shapes the fixtures lack)', () => {
  it('finds nothing for an error buildx did not locate in the Dockerfile (a push)', () => {
    const output = [
      '#12 exporting to image',
      '#12 ERROR: failed to push 127.0.0.1:5000/app:1: unexpected status from PUT request: 500',
      '------',
      ' > exporting to image:',
      '------',
      'ERROR: failed to solve: failed to push',
    ].join('\n');
    expect(dockerfileAnnotations(output, 'Dockerfile')).toEqual([]);
  });

  it('reads Windows line ends, newer buildx prefixes, a line range and a step known only from its #N ERROR line', () => {
    const output = [
      '#7 [builder 3/5] RUN make',
      '#7 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2',
      'Dockerfile:9-10',
      '--------------------',
      '   9 |     RUN make',
      '  10 |     ',
      '--------------------',
      'ERROR: failed to build: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    ].join('\r\n');
    expect(dockerfileAnnotations(output, 'Dockerfile')).toEqual([
      {
        file: 'Dockerfile',
        line: 9,
        endLine: 10,
        title: 'RUN failed with exit code 2',
        message: 'process "/bin/sh -c make" did not complete successfully: exit code: 2\nStep: [builder 3/5] RUN make',
      },
    ]);
  });

  it('keeps the last 10 lines of a long step output and reports the same location once', () => {
    const block = [
      '------',
      ' > [2/2] RUN ./test.sh:',
      ...Array.from({ length: 30 }, (_, index) => `1.${index} line ${index}`),
      '------',
      'Dockerfile:2',
      '--------------------',
      '   2 | >>> RUN ./test.sh',
      '--------------------',
      'ERROR: failed to solve: exit code: 1',
    ];
    const annotations = dockerfileAnnotations([...block, ...block].join('\n'), 'Dockerfile');
    expect(annotations).toHaveLength(1);
    expect(annotations[0]?.message.split('\n').slice(3)).toEqual(Array.from({ length: 10 }, (_, index) => `line ${index + 20}`));
  });
});

/** The workflow command @actions/core writes for `annotation`. */
function formatAnnotation(annotation: Annotation): string {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    emitAnnotation(annotation);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('').replace(/\n$/, '');
}

describe('emitAnnotation (core.error with file and line properties)', () => {
  it('writes the workflow command, escaping properties and message as the runner expects', () => {
    expect(formatAnnotation({ file: 'docker/a,b:c.Dockerfile', line: 2, title: 'RUN failed: 50%,\r\nnow', message: 'exit: 3, 100%\r\nnext line' })).toBe(
      '::error title=RUN failed%3A 50%25%2C%0D%0Anow,file=docker/a%2Cb%3Ac.Dockerfile,line=2::exit: 3, 100%25%0D%0Anext line',
    );
  });

  it('adds endLine for an instruction over several lines', () => {
    expect(formatAnnotation({ file: 'Dockerfile', line: 2, endLine: 4, title: 'RUN failed', message: 'm' })).toBe('::error title=RUN failed,file=Dockerfile,line=2,endLine=4::m');
  });

  it('leaves endLine out when it is not after the line', () => {
    expect(formatAnnotation({ file: 'Dockerfile', line: 2, endLine: 2, title: 'RUN failed', message: 'm' })).toBe('::error title=RUN failed,file=Dockerfile,line=2::m');
  });

  it('escapes % first, so an escaped sequence in the text is not taken for an escape', () => {
    expect(formatAnnotation({ file: 'Dockerfile', line: 1, title: '%3A:', message: 'm' })).toBe('::error title=%253A%3A,file=Dockerfile,line=1::m');
  });

  it('formats the real failing RUN as one command line', () => {
    const [annotation] = dockerfileAnnotations(fixture('run-exit-3.txt'), 'example/app/Dockerfile');
    const line = formatAnnotation(annotation ?? { file: '', line: 0, title: '', message: '' });
    expect(line.split('\n')).toHaveLength(1);
    expect(line.startsWith('::error title=RUN failed with exit code 3,file=example/app/Dockerfile,line=2::process "/bin/sh -c echo')).toBe(true);
  });
});

describe('dockerfileFromBuildArgs', () => {
  const workspace = '/home/runner/work/app/app';
  it.each<[string, string[], string | undefined]>([
    ['the context Dockerfile', ['buildx', 'build', '--platform', 'linux/amd64', '--tag', 'x', 'example/app'], 'example/app/Dockerfile'],
    ['the context "."', ['buildx', 'build', '.'], 'Dockerfile'],
    ['--file, relative to the workspace', ['buildx', 'build', '--file', 'docker/app.Dockerfile', '.'], 'docker/app.Dockerfile'],
    ['-f ./', ['buildx', 'build', '-f', './docker/Dockerfile', 'src'], 'docker/Dockerfile'],
    ['--file=', ['buildx', 'build', '--file=ci/Dockerfile', '.'], 'ci/Dockerfile'],
    ['an absolute path inside the workspace', ['buildx', 'build', '--file', `${workspace}/a/Dockerfile`, '.'], 'a/Dockerfile'],
    ['an absolute path outside', ['buildx', 'build', '--file', '/tmp/Dockerfile', '.'], '/tmp/Dockerfile'],
    ['a remote context', ['buildx', 'build', 'https://github.com/acme/app.git#main'], undefined],
    ['a git@ context', ['buildx', 'build', 'git@github.com:acme/app.git'], undefined],
    ['a remote context with --file', ['buildx', 'build', '--file', 'Dockerfile.ci', 'https://github.com/acme/app.git'], 'Dockerfile.ci'],
    ['stdin', ['buildx', 'build', '-f', '-', '.'], undefined],
  ])('%s', (_, args, file) => {
    expect(dockerfileFromBuildArgs(args, workspace)).toBe(file);
  });
});

describe('emitDockerfileAnnotations', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints one ::error command per located error, with the path from the build args', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    emitDockerfileAnnotations(fixture('syntax-error.txt'), ['buildx', 'build', '--builder', 'b', '--file', 'docker/Dockerfile', '--push', '.'], '/w');
    expect(written.join('')).toBe('::error title=Dockerfile parse error,file=docker/Dockerfile,line=3::dockerfile parse error on line 3: unknown instruction: COPYY (did you mean COPY?)\n');
  });
});
