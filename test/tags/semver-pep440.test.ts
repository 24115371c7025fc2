// SemVer and PEP 440 parsing as type=semver and type=pep440 need it.
import { describe, expect, it } from 'vitest';
import { parsePep440, parseSemver } from '../../src/tags/semver-pep440.js';

describe('parseSemver', () => {
  it.each([
    ['1.2.3', '1.2.3', [1, 2, 3]],
    ['v1.2.3', '1.2.3', [1, 2, 3]],
    ['0.1.2', '0.1.2', [0, 1, 2]],
    ['v2.0.8-beta.67', '2.0.8-beta.67', [2, 0, 8]],
    ['1.0.0-rc.1+build.5', '1.0.0-rc.1', [1, 0, 0]],
    ['1.0.0+20130313144700', '1.0.0', [1, 0, 0]],
    ['1.0.0-0A.is.legal', '1.0.0-0A.is.legal', [1, 0, 0]],
    [' 1.2.3 ', '1.2.3', [1, 2, 3]],
  ])('%j → version %s', (raw, version, [major, minor, patch]) => {
    expect(parseSemver(raw)).toMatchObject({ raw, version, major, minor, patch });
  });

  it('keeps the pre-release identifiers', () => {
    expect(parseSemver('v2.0.8-beta.67')?.prerelease).toStrictEqual(['beta', '67']);
    expect(parseSemver('v2.0.8')?.prerelease).toStrictEqual([]);
  });

  it.each(['1.2', '1', 'V1.2.3', 'vv1.2.3', '=1.2.3', '01.2.3', '1.02.3', '1.2.3-01', '1.2.3-', '1.2.3+', 'release1', 'p1-v1.2.3', '20200110-RC2', '', '99999999999999999.0.0'])(
    '%j is not semver',
    (raw) => {
      expect(parseSemver(raw)).toBeUndefined();
    },
  );
});

describe('parsePep440', () => {
  it.each([
    // README "type=pep440" table, {{version}} and the starred rows.
    ['1.2.3', '1.2.3', false, false, false],
    ['v1.2.3', '1.2.3', false, false, false],
    ['1.2.3rc2', '1.2.3rc2', true, false, false],
    ['v1.2.3rc2', '1.2.3rc2', true, false, false],
    ['1.2.3post1', '1.2.3.post1', false, true, false],
    ['1.2.3beta2', '1.2.3b2', true, false, false],
    ['1.0dev4', '1.0.dev4', true, false, true],
    // Other spellings PEP 440 normalises.
    ['1.0-alpha.1', '1.0a1', true, false, false],
    ['1.0c1', '1.0rc1', true, false, false],
    ['1.0.preview2', '1.0rc2', true, false, false],
    ['1.0a', '1.0a0', true, false, false],
    ['1.0-1', '1.0.post1', false, true, false],
    ['1.0.rev3', '1.0.post3', false, true, false],
    ['1.0-r', '1.0.post0', false, true, false],
    ['1.0.dev', '1.0.dev0', true, false, true],
    ['1!2.0', '1!2.0', false, false, false],
    ['0!1.0', '1.0', false, false, false],
    ['1.0+Ubuntu-1', '1.0+ubuntu.1', false, false, false],
    ['1.0+abc.007', '1.0+abc.7', false, false, false],
    ['01.002.3', '1.2.3', false, false, false],
    ['V1.0RC1', '1.0rc1', true, false, false],
    ['1.0rc1.post2.dev3', '1.0rc1.post2.dev3', true, true, true],
    ['1.0.0-rc.1+build', '1.0.0rc1+build', true, false, false],
  ])('%j → %s (pre %s, post %s, dev %s)', (raw, normalized, isPrerelease, isPostrelease, isDevrelease) => {
    expect(parsePep440(raw)).toMatchObject({ raw, normalized, isPrerelease, isPostrelease, isDevrelease });
  });

  it('major, minor and patch default to 0', () => {
    expect(parsePep440('2')).toMatchObject({ major: 2, minor: 0, patch: 0 });
    expect(parsePep440('1.2')).toMatchObject({ major: 1, minor: 2, patch: 0 });
    expect(parsePep440('1.2.3.4')).toMatchObject({ major: 1, minor: 2, patch: 3 });
  });

  it.each(['sometag', 'release1', '1.2.3-beta.x', '1.0+', ' 1.0', 'p1-v1.2.3', '1.0.0-rc.1+build!'])('%j is not PEP 440', (raw) => {
    expect(parsePep440(raw)).toBeUndefined();
  });
});
