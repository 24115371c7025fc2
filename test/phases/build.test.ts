import { describe, expect, it } from 'vitest';
import { buildFailureDetail, exportedImageManifests } from '../../src/phases/build.js';

// The end of a real `docker buildx build --progress=plain` failure.
const RUN_FAILURE = `#10 [linux/arm64 build 3/4] RUN npm ci
#10 0.512 npm ERR! code ENOTFOUND
#10 0.513 npm ERR! network request to https://registry.npmjs.org/ failed
#10 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
------
 > [linux/arm64 build 3/4] RUN npm ci:
0.512 npm ERR! code ENOTFOUND
------
Dockerfile:6
--------------------
   4 |     COPY package*.json ./
   5 | >>> RUN npm ci
--------------------
ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
`;

describe('buildFailureDetail', () => {
  it('picks the error lines of a failed RUN step', () => {
    expect(buildFailureDetail(RUN_FAILURE)).toBe(
      ['#10 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1', 'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1'].join(
        '\n',
      ),
    );
  });

  it.each([
    [
      'a missing Dockerfile',
      'ERROR: failed to build: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory\n',
      'ERROR: failed to build: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory',
    ],
    ['a lowercase cobra error', 'error: invalid argument "Bad" for "-t, --tag" flag: invalid reference format\n', 'error: invalid argument "Bad" for "-t, --tag" flag: invalid reference format'],
    ['"failed to solve" inside a line', '#5 resolve image config\n  => failed to solve: pull access denied\n', '=> failed to solve: pull access denied'],
    ['CRLF output', 'step\r\nERROR: boom\r\nafter\r\n', 'ERROR: boom'],
    ['indented error lines (trimmed)', '   ERROR: spaced   \n', 'ERROR: spaced'],
  ])('%s', (_, output, detail) => {
    expect(buildFailureDetail(output)).toBe(detail);
  });

  it('keeps only the last three error lines', () => {
    const output = ['ERROR: one', 'ERROR: two', 'noise', 'ERROR: three', 'ERROR: four'].join('\n');
    expect(buildFailureDetail(output)).toBe('ERROR: two\nERROR: three\nERROR: four');
  });

  it('falls back to the last three non-blank lines when no line looks like an error', () => {
    expect(buildFailureDetail('a\nb\n\nc\nd\n\n')).toBe('b\nc\nd');
  });

  it('does not take tool output such as "npm ERR!" or "error" mid-line for an error line', () => {
    expect(buildFailureDetail('first\n#7 0.5 npm ERR! x\n#7 0.6 error TS2322: no\nlast')).toBe('#7 0.5 npm ERR! x\n#7 0.6 error TS2322: no\nlast');
  });

  it.each(['', '\n\n', '   '])('is empty for blank output %j', (output) => {
    expect(buildFailureDetail(output)).toBe('');
  });
});

describe('exportedImageManifests', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  it('lists the per-platform manifests of buildx progress output, without attestation manifests or the index', () => {
    const output = [
      '#12 exporting to image',
      `#12 exporting manifest ${a} done`,
      `#12 exporting config sha256:${'c'.repeat(64)} done`,
      `#12 exporting attestation manifest sha256:${'d'.repeat(64)} done`,
      `#12 exporting manifest ${b} done`,
      `#12 exporting manifest list sha256:${'e'.repeat(64)} done`,
      `#12 exporting manifest ${a} done`,
    ].join('\n');
    expect(exportedImageManifests(output)).toEqual([a, b]);
  });

  it('finds none in output without an export', () => {
    expect(exportedImageManifests('#5 [2/3] RUN uname -m\n#5 DONE 0.4s')).toEqual([]);
  });
});
