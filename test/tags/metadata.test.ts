// End-to-end cases of the metadata engine. Expected values come from docker/metadata-action's
// README (v5/v6); each table names the README section it is taken from.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_LEVELS, computeMetadata, metadataOutputs, parseMetadataInputs } from '../../src/tags/metadata.js';
import { expectInputError } from '../support/inputs.js';
import { CONTEXTS, NOW, SHA, loadContext, metadataFor, tagNamesFor, type ContextName } from './fixtures.js';

const tagRef = (tag: string) => ({ ref: `refs/tags/${tag}` });

describe('fixtures', () => {
  it.each(CONTEXTS)('%s loads and computes with the default rules', (name) => {
    const metadata = metadataFor(name, { images: 'name/app' });
    expect(metadata.labels).toContain(`org.opencontainers.image.created=${NOW}`);
  });
});

describe('README "Basic" table (default tags input)', () => {
  it.each<[ContextName, Record<string, string>, string[]]>([
    ['pull_request', {}, ['name/app:pr-2']],
    ['push_master', {}, ['name/app:master']],
    ['push_releases_v1', {}, ['name/app:releases-v1']],
    ['push_tag', {}, ['name/app:v1.2.3', 'name/app:latest']],
    ['push_tag', tagRef('v2.0.8-beta.67'), ['name/app:v2.0.8-beta.67', 'name/app:latest']],
    ['workflow_dispatch_master', {}, ['name/app:master']],
  ])('%s %j → %j', (context, overrides, tags) => {
    expect(metadataFor(context, { images: 'name/app' }, overrides).tags).toStrictEqual(tags);
  });

  it('uses type=schedule first on a schedule event (default rules: schedule, ref branch, ref tag, ref pr)', () => {
    // README "tags input": the default entries; type=schedule defaults to pattern=nightly.
    expect(metadataFor('schedule', { images: 'name/app' }).tags).toStrictEqual(['name/app:nightly', 'name/app:master']);
  });
});

describe('README "Semver" table', () => {
  const tags = ['type=ref,event=branch', 'type=ref,event=pr', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}'].join('\n');
  it.each<[ContextName, Record<string, string>, string[]]>([
    ['pull_request', {}, ['name/app:pr-2']],
    ['push_master', {}, ['name/app:master']],
    ['push_releases_v1', {}, ['name/app:releases-v1']],
    ['push_tag', {}, ['name/app:1.2.3', 'name/app:1.2', 'name/app:latest']],
    // A pre-release only gets {{version}}, and no latest.
    ['push_tag', tagRef('v2.0.8-beta.67'), ['name/app:2.0.8-beta.67']],
  ])('%s %j → %j', (context, overrides, expected) => {
    expect(metadataFor(context, { images: 'name/app', tags }, overrides).tags).toStrictEqual(expected);
  });
});

describe('README "Bake definition" example (refs/tags/v1.2.3)', () => {
  const metadata = metadataFor('push_tag', {
    images: 'name/app',
    tags: ['type=ref,event=branch', 'type=ref,event=pr', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=sha'].join('\n'),
  });

  it('tags', () => {
    expect(metadata.tags).toStrictEqual(['name/app:1.2.3', 'name/app:1.2', 'name/app:sha-90dd603', 'name/app:latest']);
    expect(metadata.version).toStrictEqual({ main: '1.2.3', partial: ['1.2', 'sha-90dd603'], latest: true });
  });

  it('labels, from the repository data', () => {
    expect(metadata.json.labels).toStrictEqual({
      'org.opencontainers.image.title': 'hello-app',
      'org.opencontainers.image.description': 'This is a small app',
      'org.opencontainers.image.url': 'https://github.com/acme/hello-app',
      'org.opencontainers.image.source': 'https://github.com/acme/hello-app',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.created': NOW,
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.licenses': 'MIT',
    });
  });
});

describe('README "type=schedule" table', () => {
  it.each([
    ['type=schedule', 'nightly'],
    ['type=schedule,pattern=nightly', 'nightly'],
    ["type=schedule,pattern={{date 'YYYYMMDD'}}", '20200110'],
    ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", '20200110-093000'],
  ])('%s → %s', (tags, expected) => {
    expect(tagNamesFor('schedule', { tags })).toStrictEqual([expected]);
  });

  it('gives nothing on other events', () => {
    expect(tagNamesFor('push_master', { tags: 'type=schedule' })).toStrictEqual([]);
  });

  it('a timezone can move the date to the next day', () => {
    // 23:30 UTC is 08:30 the next morning in Tokyo.
    const now = new Date('2020-01-10T23:30:00Z');
    expect(tagNamesFor('schedule', { tags: "type=schedule,pattern={{date 'YYYYMMDD' tz='Asia/Tokyo'}}" }, { now })).toStrictEqual(['20200111']);
    expect(tagNamesFor('schedule', { tags: "type=schedule,pattern={{date 'YYYYMMDD'}}" }, { now })).toStrictEqual(['20200110']);
  });
});

describe('README "type=semver" table', () => {
  it.each([
    ['v1.2.3', '{{raw}}', '', 'v1.2.3'],
    ['v1.2.3', '{{version}}', '', '1.2.3'],
    ['v1.2.3', '{{major}}.{{minor}}', '', '1.2'],
    ['v1.2.3', 'v{{major}}', '', 'v1'],
    ['v1.2.3', '{{minor}}', '', '2'],
    ['v1.2.3', '{{patch}}', '', '3'],
    ['p1/v1.2.3', '{{version}}', 'v(\\d.\\d.\\d)$', '1.2.3'],
    ['v2.0.8-beta.67', '{{raw}}', '', 'v2.0.8-beta.67'],
    ['v2.0.8-beta.67', '{{version}}', '', '2.0.8-beta.67'],
    ['v2.0.8-beta.67', '{{major}}', '', '2.0.8-beta.67'],
    ['v2.0.8-beta.67', '{{major}}.{{minor}}', '', '2.0.8-beta.67'],
  ])('git tag %s, pattern %s, match %j → %s', (gitTag, pattern, match, expected) => {
    const tags = `type=semver,pattern=${pattern}${match ? `,match=${match}` : ''}`;
    expect(metadataFor('push_tag', { tags }, tagRef(gitTag)).version.main).toBe(expected);
  });

  it('reads value= instead of the git tag, on any event', () => {
    // README "type=semver": "use custom value instead of git tag".
    expect(tagNamesFor('push_master', { tags: 'type=semver,pattern={{version}},value=v1.0.0' })).toStrictEqual(['1.0.0', 'latest']);
    expect(tagNamesFor('push_master', { tags: 'type=semver,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$' })).toStrictEqual(['1.0.0', 'latest']);
  });

  it('a git tag that is not semver gives no tag and no error, only a warning', () => {
    const metadata = metadataFor('push_tag', { images: 'name/app', tags: 'type=semver,pattern={{version}}' }, tagRef('release1'));
    expect(metadata.tags).toStrictEqual([]);
    expect(metadata.version).toStrictEqual({ main: '', partial: [], latest: false });
    expect(metadata.warnings.join('\n')).toContain('"release1" is not a valid semver');
  });

  it('other rules still tag when semver does not apply', () => {
    const tags = 'type=semver,pattern={{version}}\ntype=ref,event=tag';
    expect(tagNamesFor('push_tag', { tags }, tagRef('1.2'))).toStrictEqual(['1.2', 'latest']);
  });

  it('gives nothing on a branch push', () => {
    expect(tagNamesFor('push_master', { tags: 'type=semver,pattern={{version}}' })).toStrictEqual([]);
  });

  it('with and without the v prefix', () => {
    const tags = 'type=semver,pattern={{version}}\ntype=semver,pattern={{raw}}\ntype=semver,pattern=v{{major}}';
    expect(tagNamesFor('push_tag', { tags }, tagRef('v1.2.3'))).toStrictEqual(['1.2.3', 'v1.2.3', 'v1', 'latest']);
    expect(tagNamesFor('push_tag', { tags }, tagRef('1.2.3'))).toStrictEqual(['1.2.3', 'v1', 'latest']);
  });

  it('README "Major version zero": {{major}} of 0.1.2 is 0', () => {
    const tags = 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}';
    expect(tagNamesFor('push_tag', { tags }, tagRef('v0.1.2'))).toStrictEqual(['0.1.2', '0.1', '0', 'latest']);
  });

  it('works when a workflow_dispatch runs on a tag', () => {
    const tags = 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=ref,event=branch';
    expect(metadataFor('workflow_dispatch_tag', { images: 'name/app', tags }).tags).toStrictEqual(['name/app:1.2.3', 'name/app:1.2', 'name/app:latest']);
  });
});

describe('README "type=pep440" table', () => {
  it.each([
    ['1.2.3', '{{raw}}', '', '1.2.3'],
    ['1.2.3', '{{version}}', '', '1.2.3'],
    ['v1.2.3', '{{version}}', '', '1.2.3'],
    ['1.2.3', '{{major}}.{{minor}}', '', '1.2'],
    ['1.2.3', 'v{{major}}', '', 'v1'],
    ['v1.2.3rc2', '{{raw}}', '', 'v1.2.3rc2'],
    ['1.2.3rc2', '{{version}}', '', '1.2.3rc2'],
    ['p1/v1.2.3', '{{version}}', 'v(\\d.\\d.\\d)$', '1.2.3'],
    ['1.2.3rc2', '{{major}}.{{minor}}', '', '1.2.3rc2'],
    ['1.2.3post1', '{{major}}.{{minor}}', '', '1.2.3.post1'],
    ['1.2.3beta2', '{{major}}.{{minor}}', '', '1.2.3b2'],
    ['1.0dev4', '{{major}}.{{minor}}', '', '1.0.dev4'],
    // A local version: @renovate/pep440 prints its parts with commas, so metadata-action tags 1.0-abc-1.
    ['1.0+abc.1', '{{version}}', '', '1.0-abc-1'],
    ['1.0+abc.1', '{{raw}}', '', '1.0-abc.1'],
  ])('git tag %s, pattern %s, match %j → %s', (gitTag, pattern, match, expected) => {
    const tags = `type=pep440,pattern=${pattern}${match ? `,match=${match}` : ''}`;
    expect(metadataFor('push_tag', { tags }, tagRef(gitTag)).version.main).toBe(expected);
  });

  it('latest only for final releases (README "Latest tag")', () => {
    expect(tagNamesFor('push_tag', { tags: 'type=pep440,pattern={{version}}' }, tagRef('1.2.3'))).toStrictEqual(['1.2.3', 'latest']);
    expect(tagNamesFor('push_tag', { tags: 'type=pep440,pattern={{version}}' }, tagRef('1.2.3rc2'))).toStrictEqual(['1.2.3rc2']);
    expect(tagNamesFor('push_tag', { tags: 'type=pep440,pattern={{version}}' }, tagRef('1.2.3post1'))).toStrictEqual(['1.2.3.post1']);
  });

  it('a tag that is not PEP 440 gives no tag and a warning', () => {
    const metadata = metadataFor('push_tag', { tags: 'type=pep440,pattern={{version}}' }, tagRef('sometag'));
    expect(metadata.tags).toStrictEqual([]);
    expect(metadata.warnings.join('\n')).toContain('does not conform to PEP 440');
  });
});

describe('README "type=match" table', () => {
  it.each([
    ['v1.2.3', '\\d.\\d.\\d', '0', '1.2.3'],
    ['v2.0.8-beta.67', 'v(.*)', '1', '2.0.8-beta.67'],
    ['v2.0.8-beta.67', 'v(\\d.\\d)', '1', '2.0'],
    ['20200110-RC2', '\\d+', '0', '20200110'],
    ['p1/v1.2.3', 'p1/v(\\d.\\d.\\d)', '1', '1.2.3'],
  ])('git tag %s, pattern %s, group %s → %s', (gitTag, pattern, group, expected) => {
    // type=match earns latest (README "Latest tag"), whatever the version looks like.
    expect(tagNamesFor('push_tag', { tags: `type=match,pattern=${pattern},group=${group}` }, tagRef(gitTag))).toStrictEqual([expected, 'latest']);
  });

  it('uses value= instead of the git tag', () => {
    expect(tagNamesFor('push_master', { tags: 'type=match,pattern=v(.*),group=1,value=v1.0.0' })).toStrictEqual(['1.0.0', 'latest']);
  });

  it('accepts /regex/flags', () => {
    expect(tagNamesFor('push_tag', { tags: 'type=match,pattern=/^V(\\d+)/i,group=1' }, tagRef('v12.0'))).toStrictEqual(['12', 'latest']);
  });

  it('a pattern that does not match, or a missing group, gives no tag and a warning', () => {
    const none = metadataFor('push_tag', { tags: 'type=match,pattern=^release(\\d+)$,group=1' });
    expect(none.tags).toStrictEqual([]);
    expect(none.warnings.join('\n')).toContain('does not match "v1.2.3"');
    const noGroup = metadataFor('push_tag', { tags: 'type=match,pattern=v(\\d),group=2' });
    expect(noGroup.tags).toStrictEqual([]);
    expect(noGroup.warnings.join('\n')).toContain('group 2 does not exist');
  });
});

describe('README "type=edge"', () => {
  it.each<[ContextName, string, string[]]>([
    // The default branch comes from the repository data (master in the fixtures).
    ['push_master', 'type=edge', ['edge']],
    ['push_dev', 'type=edge', []],
    ['push_dev', 'type=edge,branch=dev', ['edge']],
    ['push_master', 'type=edge,branch=dev', []],
    ['push_tag', 'type=edge', []],
    ['pull_request', 'type=edge', []],
    ['schedule', 'type=edge', ['edge']],
  ])('%s: %s → %j', (context, tags, expected) => {
    expect(tagNamesFor(context, { tags })).toStrictEqual(expected);
  });

  it('falls back to the payload repository for the default branch', () => {
    const context = loadContext('push_master');
    const { defaultBranch: _ignored, ...repo } = context.repo!;
    const metadata = computeMetadata(parseMetadataInputs({ images: '', tags: 'type=edge', flavor: '', labels: '', annotations: '' }), { ...context, repo });
    expect(metadata.tags).toStrictEqual(['edge']);
  });
});

describe('README "type=ref" table', () => {
  const tags = 'type=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr';
  it.each<[ContextName, Record<string, string>, string[]]>([
    ['pull_request', {}, ['pr-2']],
    ['push_master', {}, ['master']],
    ['push_master', { ref: 'refs/heads/my/branch' }, ['my-branch']],
    ['push_tag', {}, ['v1.2.3', 'latest']],
    ['push_tag', tagRef('v2.0.8-beta.67'), ['v2.0.8-beta.67', 'latest']],
    ['workflow_dispatch_master', {}, ['master']],
  ])('%s %j → %j', (context, overrides, expected) => {
    expect(tagNamesFor(context, { tags }, overrides)).toStrictEqual(expected);
  });

  it('sanitises characters a tag cannot hold, runs of them to one dash', () => {
    // README "Image name and tag sanitization": invalid chars sequences become "-".
    expect(tagNamesFor('push_feature_invalid_chars', { tags: 'type=ref,event=branch' })).toStrictEqual(['my-feature-1245']);
    expect(tagNamesFor('push_master', { tags: 'type=ref,event=branch' }, { ref: 'refs/heads/feat/ü@@x' })).toStrictEqual(['feat-x']);
  });

  it('pull_request_target is tagged as the pull request, not its base branch', () => {
    expect(tagNamesFor('pull_request_target', {})).toStrictEqual(['pr-2']);
  });

  it('prefix= overrides the pr- default', () => {
    expect(tagNamesFor('pull_request', { tags: 'type=ref,event=pr,prefix=' })).toStrictEqual(['2']);
    expect(tagNamesFor('pull_request', { tags: 'type=ref,event=pr,prefix=pull-,suffix=-test' })).toStrictEqual(['pull-2-test']);
  });
});

describe('README "type=raw"', () => {
  it.each([
    ['type=raw,value=foo\ntype=raw,value=bar', ['foo', 'bar']],
    ['type=raw,foo\ntype=raw,bar', ['foo', 'bar']],
    ['foo\nbar', ['foo', 'bar']],
    ['foo,bar', ['bar']], // one rule whose bare value is given twice: the last one counts
  ])('%j → %j', (tags, expected) => {
    expect(tagNamesFor('push_master', { tags })).toStrictEqual(expected);
  });

  it('an empty value gives no tag', () => {
    expect(tagNamesFor('push_master', { tags: 'type=raw,value=\ntype=raw,value={{tag}}\ntype=raw,value=x' })).toStrictEqual(['x']);
  });
});

describe('README "type=sha"', () => {
  it.each([
    ['type=sha', ['sha-90dd603']],
    ['type=sha,format=long', [`sha-${SHA}`]],
    ['type=sha,prefix=', ['90dd603']],
    ['type=sha,prefix={{branch}}-,suffix=-x', ['master-90dd603-x']],
  ])('%s → %j', (tags, expected) => {
    expect(tagNamesFor('push_master', { tags })).toStrictEqual(expected);
  });

  it('honours a longer short SHA (DOCKER_METADATA_SHORT_SHA_LENGTH)', () => {
    expect(tagNamesFor('push_master', { tags: 'type=sha\ntype=raw,value={{sha}}' }, { shortShaLength: 12 })).toStrictEqual(['90dd6032fac8', 'sha-90dd6032fac8']);
  });

  it('gives nothing without a SHA', () => {
    expect(tagNamesFor('empty', { tags: 'type=sha' })).toStrictEqual([]);
  });
});

describe('README "priority attribute"', () => {
  it('sorts by priority, highest first; the first tag is the version', () => {
    const tags = 'type=sha\ntype=raw,value=raw\ntype=ref,event=branch\ntype=edge';
    expect(metadataFor('push_master', { tags }).version).toStrictEqual({ main: 'edge', partial: ['master', 'raw', 'sha-90dd603'], latest: false });
  });

  it('priority= moves a rule', () => {
    const tags = 'type=ref,event=branch\ntype=sha,priority=2000';
    expect(tagNamesFor('push_master', { tags })).toStrictEqual(['sha-90dd603', 'master']);
  });

  it('equal priorities keep the written order', () => {
    expect(tagNamesFor('push_master', { tags: 'type=raw,value=b\ntype=raw,value=a\ntype=raw,value=c' })).toStrictEqual(['b', 'a', 'c']);
  });
});

describe('deduplication', () => {
  it('two rules giving the same tag give it once', () => {
    const tags = 'type=ref,event=branch\ntype=raw,value={{branch}}\ntype=raw,value=master';
    expect(metadataFor('push_master', { images: 'name/app', tags }).tags).toStrictEqual(['name/app:master']);
  });

  it('an image listed twice is tagged once', () => {
    expect(metadataFor('push_master', { images: 'name/app\nname/app' }).tags).toStrictEqual(['name/app:master']);
  });

  it('latest is not repeated when a rule gives it too', () => {
    expect(tagNamesFor('push_tag', { tags: 'type=ref,event=tag\ntype=raw,value=latest' })).toStrictEqual(['v1.2.3', 'latest']);
  });
});

describe('enable attribute', () => {
  it('enable=false turns a rule off', () => {
    const tags = 'type=ref,event=branch,enable=false\ntype=sha';
    expect(tagNamesFor('push_master', { tags })).toStrictEqual(['sha-90dd603']);
  });

  it.each<[ContextName, string[]]>([
    // README "Latest tag": type=raw,value=latest,enable={{is_default_branch}}.
    ['push_master', ['master', 'latest']],
    ['push_dev', ['dev']],
    ['workflow_dispatch_master', ['master', 'latest']],
    ['pull_request', ['pr-2']],
    ['push_tag', ['v1.2.3', 'latest']],
    // A schedule payload has no repository, but scheduled runs are on the default branch.
    ['schedule', ['nightly', 'master', 'latest']],
  ])('{{is_default_branch}} on %s → %j', (context, expected) => {
    const tags = 'type=schedule\ntype=ref,event=branch\ntype=ref,event=tag\ntype=ref,event=pr\ntype=raw,value=latest,enable={{is_default_branch}}';
    expect(tagNamesFor(context, { tags })).toStrictEqual(expected);
  });

  it('{{is_not_default_branch}}', () => {
    const tags = 'type=raw,value=preview,enable={{is_not_default_branch}}';
    expect(tagNamesFor('push_dev', { tags })).toStrictEqual(['preview']);
    expect(tagNamesFor('push_master', { tags })).toStrictEqual([]);
  });

  it('an enable that does not render to true or false is an error naming the rule', () => {
    const error = expectInputError(() => metadataFor('push_master', { tags: 'type=raw,value=x,enable={{branch}}' }), 'tags');
    expect(error.message).toContain('"type=raw,value=x,enable={{branch}}"');
    expect(error.message).toContain('enable rendered to "master"');
  });
});

describe('flavor input', () => {
  it('latest=false drops latest; latest=true adds it everywhere (README "flavor input")', () => {
    expect(tagNamesFor('push_tag', { flavor: 'latest=false' })).toStrictEqual(['v1.2.3']);
    expect(tagNamesFor('push_master', { flavor: 'latest=true' })).toStrictEqual(['master', 'latest']);
    expect(tagNamesFor('pull_request', { flavor: 'latest=true' })).toStrictEqual(['pr-2', 'latest']);
  });

  it('latest=auto: the first (highest priority) rule decides', () => {
    // ref,event=tag earns latest; raw does not, and only the rule giving the version counts.
    expect(tagNamesFor('push_tag', { tags: 'type=ref,event=tag\ntype=raw,value=x' })).toStrictEqual(['v1.2.3', 'x', 'latest']);
    expect(tagNamesFor('push_tag', { tags: 'type=ref,event=tag\ntype=raw,value=x,priority=700' })).toStrictEqual(['x', 'v1.2.3']);
    // A pre-release gives the version, so no latest even though ref,event=tag applies too.
    expect(tagNamesFor('push_tag', { tags: 'type=semver,pattern={{version}}\ntype=ref,event=tag' }, tagRef('v2.0.0-rc.1'))).toStrictEqual(['2.0.0-rc.1', 'v2.0.0-rc.1']);
  });

  it('no latest without any version, even with latest=true', () => {
    expect(tagNamesFor('push_master', { tags: 'type=ref,event=tag', flavor: 'latest=true' })).toStrictEqual([]);
  });

  it('prefix and suffix apply to rules without their own, not to latest unless onlatest=true', () => {
    const tags = 'type=semver,pattern={{version}}\ntype=raw,value=x,prefix=own-\ntype=sha';
    expect(tagNamesFor('push_tag', { tags, flavor: 'prefix=app-\nsuffix=-slim' })).toStrictEqual(['app-1.2.3-slim', 'own-x-slim', 'sha-90dd603-slim', 'latest']);
    expect(tagNamesFor('push_tag', { tags: 'type=ref,event=tag', flavor: 'prefix=app-,onlatest=true\nsuffix=-slim,onlatest=true' })).toStrictEqual(['app-v1.2.3-slim', 'app-latest-slim']);
    expect(tagNamesFor('push_tag', { tags: 'type=ref,event=tag', flavor: 'suffix=-slim,onlatest=true' })).toStrictEqual(['v1.2.3-slim', 'latest-slim']);
  });

  it('flavor prefix may use expressions', () => {
    expect(tagNamesFor('push_master', { tags: 'type=raw,value=x', flavor: 'prefix={{branch}}-' })).toStrictEqual(['master-x']);
  });
});

describe('README "Global expressions"', () => {
  const valueOf = (context: ContextName, expression: string, overrides = {}): string =>
    metadataFor(context, { tags: 'type=raw,value=x', labels: `test.value=${expression}` }, overrides).json.labels['test.value'] as string;

  it.each<[ContextName, Record<string, string>, string]>([
    ['pull_request', {}, ''],
    ['push_master', {}, 'master'],
    ['push_master', { ref: 'refs/heads/my/branch' }, 'my/branch'],
    ['push_tag', {}, ''],
  ])('{{branch}} on %s %j → %j (sanitised only in tags)', (context, overrides, expected) => {
    expect(valueOf(context, '{{branch}}', overrides)).toBe(expected);
  });

  it('{{branch}} in a tag: refs/heads/my/branch → my-branch', () => {
    expect(tagNamesFor('push_master', { tags: 'type=raw,value={{branch}}' }, { ref: 'refs/heads/my/branch' })).toStrictEqual(['my-branch']);
  });

  it.each<[ContextName, string]>([
    ['pull_request', ''],
    ['push_master', ''],
    ['push_tag', 'v1.2.3'],
  ])('{{tag}} on %s → %j', (context, expected) => {
    expect(valueOf(context, '{{tag}}')).toBe(expected);
  });

  it('{{sha}} is the short SHA', () => {
    expect(valueOf('push_master', '{{sha}}')).toBe('90dd603');
  });

  it.each<[ContextName, string]>([
    ['pull_request', 'master'],
    ['push_master', ''],
    ['push_tag', 'master'],
  ])('{{base_ref}} on %s → %j', (context, expected) => {
    expect(valueOf(context, '{{base_ref}}')).toBe(expected);
  });

  it.each([
    ["{{date 'YYYYMMDD'}}", '20200110'],
    ["{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", '20200110-093000'],
  ])('%s → %s', (expression, expected) => {
    expect(valueOf('push_master', expression)).toBe(expected);
  });

  it('{{commit_date}} reads the commit timestamp from the push payload', () => {
    // The fixture's commit is 2020-01-09T23:10:05+01:00.
    expect(valueOf('push_master', "{{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}")).toBe('2020-01-09T22:10:05.000Z');
    expect(valueOf('push_master', "{{commit_date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}")).toBe('20200110-071005');
  });

  it('an unquoted format is moment\'s default format (metadata-action test "pr12")', () => {
    expect(tagNamesFor('push_master', { tags: 'type=raw,value={{commit_date YYYY-MM-DD-HHmmSS}}' })).toStrictEqual(['2020-01-09T22-10-05Z']);
  });

  it('{{commit_date}} prefers the commit date it is given and falls back to now', () => {
    expect(valueOf('push_master', "{{commit_date 'YYYYMMDD'}}", { commitDate: new Date('2019-12-31T12:00:00Z') })).toBe('20191231');
    expect(valueOf('pull_request', "{{commit_date 'YYYYMMDD-HHmm'}}")).toBe('20200110-0030');
  });
});

describe('labels and annotations', () => {
  it('README "Overwrite labels and annotations": user lines win and add, sorted by key', () => {
    const labels = [
      'maintainer=CrazyMax',
      'org.opencontainers.image.title=MyCustomTitle',
      'org.opencontainers.image.description=Another description',
      'org.opencontainers.image.vendor=MyCompany',
    ].join('\n');
    expect(metadataFor('push_master', { images: 'name/app', labels }).labels).toStrictEqual([
      'maintainer=CrazyMax',
      `org.opencontainers.image.created=${NOW}`,
      'org.opencontainers.image.description=Another description',
      'org.opencontainers.image.licenses=MIT',
      `org.opencontainers.image.revision=${SHA}`,
      'org.opencontainers.image.source=https://github.com/acme/hello-app',
      'org.opencontainers.image.title=MyCustomTitle',
      'org.opencontainers.image.url=https://github.com/acme/hello-app',
      'org.opencontainers.image.vendor=MyCompany',
      'org.opencontainers.image.version=master',
    ]);
  });

  it('a value keeps its = signs; an empty value is kept', () => {
    const metadata = metadataFor('push_master', { labels: 'a.b=x=y\nempty=' });
    expect(metadata.labels).toContain('a.b=x=y');
    expect(metadata.labels).toContain('empty=');
  });

  it('README example: org.opencontainers.image.created from the commit date', () => {
    const labels = "org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}";
    expect(metadataFor('push_master', { labels }).json.labels['org.opencontainers.image.created']).toBe('2020-01-09T22:10:05.000Z');
  });

  it('annotations: the same entries at the manifest and the index level, user annotations apart from labels', () => {
    const metadata = metadataFor('push_master', { labels: 'maintainer=Label', annotations: 'maintainer=Annotation' });
    expect(ANNOTATION_LEVELS).toStrictEqual(['manifest', 'index']);
    const keys = metadata.labels.map((label) => label.slice(0, label.indexOf('=')));
    expect(metadata.annotations).toStrictEqual([
      ...metadata.labels.map((label) => `manifest:${label.replace('maintainer=Label', 'maintainer=Annotation')}`),
      ...metadata.labels.map((label) => `index:${label.replace('maintainer=Label', 'maintainer=Annotation')}`),
    ]);
    expect(keys).toContain('maintainer');
  });

  it('without a version, the version label is empty; without a SHA, the revision is', () => {
    const metadata = metadataFor('empty', { images: 'name/app' });
    expect(metadata.tags).toStrictEqual([]);
    expect(metadata.labels).toStrictEqual([
      `org.opencontainers.image.created=${NOW}`,
      'org.opencontainers.image.description=',
      'org.opencontainers.image.licenses=',
      'org.opencontainers.image.revision=',
      'org.opencontainers.image.source=',
      'org.opencontainers.image.title=hello-app',
      'org.opencontainers.image.url=',
      'org.opencontainers.image.version=',
    ]);
    expect(metadata.warnings.join('\n')).toContain('no image version');
  });

  it('without repository data from the API, the payload repository is used', () => {
    const context = loadContext('push_master');
    delete context.repo;
    const metadata = computeMetadata(parseMetadataInputs({ images: '', tags: '', flavor: '', labels: '', annotations: '' }), context);
    expect(metadata.json.labels).toMatchObject({
      'org.opencontainers.image.title': 'hello-app',
      'org.opencontainers.image.description': 'This is a small app',
      'org.opencontainers.image.url': 'https://github.com/acme/hello-app',
      'org.opencontainers.image.licenses': 'MIT',
    });
  });
});

describe('images input', () => {
  it('README "images input": several images, each with every tag, in order', () => {
    const metadata = metadataFor('push_tag', { images: 'name/foo\nghcr.io/name/bar', tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}' });
    expect(metadata.tags).toStrictEqual(['name/foo:1.2.3', 'name/foo:1', 'name/foo:latest', 'ghcr.io/name/bar:1.2.3', 'ghcr.io/name/bar:1', 'ghcr.io/name/bar:latest']);
    expect(metadata.tagNames).toStrictEqual(['1.2.3', '1', 'latest']);
  });

  it('name= and enable=false', () => {
    expect(metadataFor('push_master', { images: 'name=name/foo\nname=ghcr.io/name/bar,enable=false' }).tags).toStrictEqual(['name/foo:master']);
  });

  it('no images: tags without a base name', () => {
    expect(metadataFor('push_master', {}).tags).toStrictEqual(['master']);
  });
});

describe('metadataOutputs and json', () => {
  const metadata = metadataFor('push_tag', { images: 'name/app', tags: 'type=semver,pattern={{version}}\ntype=sha', labels: 'maintainer=Acme' });

  it('joins with the separators (newline by default in the action)', () => {
    const outputs = metadataOutputs(metadata, { tags: ',', labels: '\n', annotations: ';' });
    expect(outputs.version).toBe('1.2.3');
    expect(outputs.tags).toBe('name/app:1.2.3,name/app:sha-90dd603,name/app:latest');
    expect(outputs.labels.split('\n')).toStrictEqual(metadata.labels);
    expect(outputs.annotations.split(';')).toStrictEqual(metadata.annotations);
  });

  it('README "JSON output object": tags, tag-names, labels as an object, annotations', () => {
    const json = JSON.parse(metadataOutputs(metadata, { tags: '\n', labels: '\n', annotations: '\n' }).json) as Record<string, unknown>;
    expect(Object.keys(json)).toStrictEqual(['tags', 'tag-names', 'labels', 'annotations']);
    expect(json.tags).toStrictEqual(['name/app:1.2.3', 'name/app:sha-90dd603', 'name/app:latest']);
    expect(json['tag-names']).toStrictEqual(['1.2.3', 'sha-90dd603', 'latest']);
    expect((json.labels as Record<string, string>)['org.opencontainers.image.version']).toBe('1.2.3');
    expect((json.labels as Record<string, string>).maintainer).toBe('Acme');
    expect(json.annotations).toStrictEqual(metadata.annotations);
  });

  it('an empty version is an empty output', () => {
    expect(metadataOutputs(metadataFor('empty', {}), { tags: '\n', labels: '\n', annotations: '\n' }).version).toBe('');
  });
});

describe('purity', () => {
  it('the same inputs and context give the same result', () => {
    const parsed = parseMetadataInputs({ images: 'name/app', tags: "type=raw,value={{date 'x'}}", flavor: '', labels: '', annotations: '' });
    const context = loadContext('push_master');
    expect(computeMetadata(parsed, context)).toStrictEqual(computeMetadata(parsed, context));
    expect(computeMetadata(parsed, context).tags).toStrictEqual([`name/app:${Date.parse(NOW)}`]);
  });
});

describe('templates escape HTML as handlebars does (metadata-action renders them with it)', () => {
  it.each([
    ['type=raw,value={{branch}}', ['feat-amp-x']],
    ['type=raw,value={{{branch}}}', ['feat-x']],
    // type=ref takes the branch without a template.
    ['type=ref,event=branch', ['feat-x']],
  ])('%s on branch feat&x → %j', (tags, expected) => {
    expect(tagNamesFor('push_master', { tags }, { ref: 'refs/heads/feat&x' })).toStrictEqual(expected);
  });
});
