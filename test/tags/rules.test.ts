// Parsing of metadata-action's inputs: tags rules, images, flavor, labels and annotations.
import { describe, expect, it } from 'vitest';
import { parseFlavor } from '../../src/tags/flavor.js';
import { lowercasedNotices, parseImages } from '../../src/tags/images.js';
import { parseCustomEntries } from '../../src/tags/labels.js';
import { parseMetadataInputs, type MetadataRawInputs } from '../../src/tags/metadata.js';
import { DEFAULT_PRIORITIES, DEFAULT_RULES, parseTagRules, type TagRule } from '../../src/tags/rules.js';
import { expectInputError } from '../support/inputs.js';

/** The parts of a rule worth comparing: type, priority, and the attribute texts. */
function summary(rule: TagRule): Record<string, unknown> {
  const out: Record<string, unknown> = { type: rule.type, priority: rule.priority, enable: rule.enable.source };
  if (rule.prefix) out.prefix = rule.prefix.source;
  if (rule.suffix) out.suffix = rule.suffix.source;
  switch (rule.type) {
    case 'schedule':
      out.pattern = rule.pattern.source;
      break;
    case 'semver':
    case 'pep440':
      out.pattern = rule.pattern.source;
      out.value = rule.value.source;
      if (rule.match) out.match = rule.match.source;
      break;
    case 'match':
      out.pattern = rule.pattern.toString();
      out.group = rule.group;
      out.value = rule.value.source;
      break;
    case 'edge':
      out.branch = rule.branch;
      break;
    case 'ref':
      out.event = rule.event;
      break;
    case 'raw':
      out.value = rule.value.source;
      break;
    case 'sha':
      out.format = rule.format;
      break;
  }
  return out;
}

describe('parseTagRules', () => {
  it('README "tags input": the default rules when tags is empty', () => {
    expect(DEFAULT_RULES).toStrictEqual(['type=schedule', 'type=ref,event=branch', 'type=ref,event=tag', 'type=ref,event=pr']);
    expect(parseTagRules('').map(summary)).toStrictEqual([
      { type: 'schedule', priority: 1000, enable: 'true', pattern: 'nightly' },
      { type: 'ref', priority: 600, enable: 'true', event: 'branch' },
      { type: 'ref', priority: 600, enable: 'true', event: 'tag' },
      { type: 'ref', priority: 600, enable: 'true', prefix: 'pr-', event: 'pr' },
    ]);
    expect(parseTagRules('# only a comment\n\n').map(summary)).toHaveLength(4);
  });

  it('README "priority attribute": the default priority of each type', () => {
    expect(DEFAULT_PRIORITIES).toStrictEqual({ schedule: 1000, semver: 900, pep440: 900, match: 800, edge: 700, ref: 600, raw: 200, sha: 100 });
  });

  // README: the "Extended attributes and default values" block of each type.
  it.each<[string, Record<string, unknown>]>([
    ['type=schedule', { type: 'schedule', priority: 1000, enable: 'true', pattern: 'nightly' }],
    ["type=schedule,pattern={{date 'YYYYMMDD' tz='Asia/Tokyo'}}", { type: 'schedule', priority: 1000, enable: 'true', pattern: "{{date 'YYYYMMDD' tz='Asia/Tokyo'}}" }],
    ['type=semver,pattern={{version}}', { type: 'semver', priority: 900, enable: 'true', pattern: '{{version}}', value: '' }],
    ['type=semver,pattern={{version}},value=p1/v1.0.0,match=v(\\d.\\d.\\d)$', { type: 'semver', priority: 900, enable: 'true', pattern: '{{version}}', value: 'p1/v1.0.0', match: 'v(\\d.\\d.\\d)$' }],
    ['type=pep440,pattern={{version}},value=1.0.0', { type: 'pep440', priority: 900, enable: 'true', pattern: '{{version}}', value: '1.0.0' }],
    ['type=match,pattern=\\d.\\d.\\d', { type: 'match', priority: 800, enable: 'true', pattern: '/\\d.\\d.\\d/', group: 0, value: '' }],
    ['type=match,pattern=v(.*),group=1,value=v1.0.0', { type: 'match', priority: 800, enable: 'true', pattern: '/v(.*)/', group: 1, value: 'v1.0.0' }],
    ['type=match,"pattern=^v(\\d{1,3}),(\\d+)$",group=2', { type: 'match', priority: 800, enable: 'true', pattern: '/^v(\\d{1,3}),(\\d+)$/', group: 2, value: '' }],
    ['type=edge', { type: 'edge', priority: 700, enable: 'true', branch: '' }],
    ['type=edge,branch=main', { type: 'edge', priority: 700, enable: 'true', branch: 'main' }],
    ['type=ref,event=tag', { type: 'ref', priority: 600, enable: 'true', event: 'tag' }],
    ['type=ref,event=pr', { type: 'ref', priority: 600, enable: 'true', prefix: 'pr-', event: 'pr' }],
    ['type=ref,event=pr,prefix=', { type: 'ref', priority: 600, enable: 'true', prefix: '', event: 'pr' }],
    ['type=raw,value=foo', { type: 'raw', priority: 200, enable: 'true', value: 'foo' }],
    ['type=raw,foo', { type: 'raw', priority: 200, enable: 'true', value: 'foo' }],
    ['foo', { type: 'raw', priority: 200, enable: 'true', value: 'foo' }],
    ['type=raw,value=', { type: 'raw', priority: 200, enable: 'true', value: '' }],
    ['type=sha', { type: 'sha', priority: 100, enable: 'true', prefix: 'sha-', format: 'short' }],
    ['type=sha,format=long,prefix=', { type: 'sha', priority: 100, enable: 'true', prefix: '', format: 'long' }],
    ['  TYPE=raw , Value = x , Enable={{is_default_branch}} , PRIORITY=5 , Suffix=-s ', { type: 'raw', priority: 5, enable: '{{is_default_branch}}', suffix: '-s', value: 'x' }],
    ['type=raw,value=a#b', { type: 'raw', priority: 200, enable: 'true', value: 'a#b' }],
  ])('%s', (line, expected) => {
    expect(parseTagRules(line).map(summary)).toStrictEqual([expected]);
  });

  it('sorts by priority, keeping the written order for equal priorities', () => {
    const rules = parseTagRules('type=sha\ntype=raw,value=a\ntype=semver,pattern={{version}}\ntype=raw,value=b,priority=950\ntype=raw,value=c');
    expect(rules.map((rule) => rule.source)).toStrictEqual(['type=raw,value=b,priority=950', 'type=semver,pattern={{version}}', 'type=raw,value=a', 'type=raw,value=c', 'type=sha']);
  });
});

describe('parseTagRules rejects', () => {
  it.each([
    ['type=semvr,pattern={{version}}', 'unknown type "semvr" (use one of schedule, semver, pep440, match, edge, ref, raw, sha)'],
    ['type=Semver,pattern={{version}}', 'unknown type "Semver"'],
    ['type=semver,pattern={{version}},patern=x', 'unknown attribute "patern" for type=semver (allowed: type, enable, priority, prefix, suffix, pattern, value, match)'],
    ['type=ref,event=branch,format=long', 'unknown attribute "format" for type=ref'],
    ['type=sha,latest', 'type=sha takes no value without a name ("latest")'],
    ['type=match,pattern=v(\\d+', 'pattern: "v(\\d+" is not a valid regular expression'],
    ['type=match,pattern=/v(\\d+)/q', 'pattern: "/v(\\d+)/q" is not a valid regular expression'],
    ['type=semver,pattern={{version}},match=v([0-9', 'match: "v([0-9" is not a valid regular expression'],
    ['type=semver,pattern={{version}},match=v\\d', 'match "v\\d" needs a capture group'],
    ['type=ref,event=foo', 'event must be branch, tag or pr, not "foo"'],
    ['type=ref', 'type=ref needs the event attribute'],
    ['type=semver', 'type=semver needs the pattern attribute'],
    ['type=match,group=1', 'type=match needs the pattern attribute'],
    ['type=raw', 'type=raw needs the value attribute'],
    ['type=match,pattern=v(.*),group=foo', 'group must be a whole number, not "foo"'],
    ['type=sha,format=medium', 'format must be short or long, not "medium"'],
    ['type=raw,value=x,priority=high', 'priority must be a number, not "high"'],
    ['type=raw,value=x,priority=', 'priority must be a number, not ""'],
    ['type=raw,value=x,enable=yes', 'enable must be true or false, not "yes"'],
    ['type=raw,value={{branchh}}', 'value: {{branchh}}: "branchh" is not known here'],
    ['type=semver,pattern={{branch}}', 'pattern: {{branch}}: "branch" is not known here (use {{raw}}, {{version}}, {{major}}, {{minor}}, {{patch}})'],
    ['type=schedule,pattern={{sha}}', 'pattern: {{sha}}: "sha" is not known here (use {{date}}, {{commit_date}})'],
    ["type=raw,value={{date 'YYYY' tz='Mars/Olympus'}}", '"Mars/Olympus" is not a known time zone'],
    ["type=raw,value={{date 'YYYY' zone='UTC'}}", 'unknown attribute "zone" (only tz is allowed'],
    ["type=raw,value={{date 'gggg'}}", 'the date token "gggg" is not supported'],
    ['type=raw,value={{branch', 'has no closing }}'],
    ['type=raw,"value=x', 'a quote (") is not closed'],
    ['type=raw,=x', 'an attribute has no name before "="'],
  ])('%s', (line, problem) => {
    const error = expectInputError(() => parseTagRules(line), 'tags');
    // The message names the rule and says what is wrong.
    expect(error.message).toContain(`rule "${line}"`);
    expect(error.message).toContain(problem);
  });

  it('gives an example of the rule type at fault', () => {
    expect(expectInputError(() => parseTagRules('type=ref,event=foo'), 'tags').message).toContain('Example of a valid value: type=ref,event=branch');
    expect(expectInputError(() => parseTagRules('type=semvr'), 'tags').message).toContain('Example of a valid value: type=semver,pattern={{version}}');
  });

  it('names the faulty line among good ones', () => {
    const error = expectInputError(() => parseTagRules('type=ref,event=branch\ntype=semvr,pattern={{version}}\ntype=sha'), 'tags');
    expect(error.message).toContain('rule "type=semvr,pattern={{version}}"');
  });
});

describe('parseImages', () => {
  it.each([
    ['name/app', [{ name: 'name/app', enable: true }]],
    [
      'name/foo\nghcr.io/name/bar',
      [
        { name: 'name/foo', enable: true },
        { name: 'ghcr.io/name/bar', enable: true },
      ],
    ],
    [
      'name/foo,ghcr.io/name/bar',
      [
        { name: 'name/foo', enable: true },
        { name: 'ghcr.io/name/bar', enable: true },
      ],
    ],
    [
      'name=name/foo\nname=ghcr.io/name/bar,enable=false',
      [
        { name: 'name/foo', enable: true },
        { name: 'ghcr.io/name/bar', enable: false },
      ],
    ],
    ['ghcr.io/name/bar,enable=false', [{ name: 'ghcr.io/name/bar', enable: false }]],
    ['# comment\n\n  localhost:5000/app  \n', [{ name: 'localhost:5000/app', enable: true }]],
    ['', []],
    // Lower-cased as metadata-action does (issue 16); the name as written is kept for the notice.
    ['ghcr.io/MyOrg/App', [{ name: 'ghcr.io/myorg/app', enable: true, written: 'ghcr.io/MyOrg/App' }]],
    ['name=GHCR.io/org/app,enable=false', [{ name: 'ghcr.io/org/app', enable: false, written: 'GHCR.io/org/app' }]],
    // A line quoted as a whole, as csv-parse reads it.
    ['"name=name/app,enable=false"', [{ name: 'name/app', enable: false }]],
  ])('%j', (text, expected) => {
    expect(parseImages(text)).toStrictEqual(expected);
  });

  it('says which names it lower-cased', () => {
    expect(lowercasedNotices(parseImages('ghcr.io/MyOrg/App\nname/app'))).toStrictEqual([
      'images: "ghcr.io/MyOrg/App" is pushed as "ghcr.io/myorg/app" (image names are lowercase, as docker/metadata-action makes them)',
    ]);
  });

  it.each([
    ['name=,enable=true', 'the name is empty'],
    ['name/foo,name=name/bar,enable=true', 'the name is given twice ("name/foo" and "name/bar")'],
    ['"name/app', 'image ""name/app": a quote (") is not closed'],
    ['name=name/app,enable=yes', 'enable must be true or false, not "yes"'],
    ['name=name/app,platform=linux', 'unknown attribute "platform" (use name and enable)'],
    ['name/app:1.0', 'has a tag (:1.0)'],
    ['name/app@sha256:' + 'a'.repeat(64), 'a digest'],
  ])('rejects %j', (text, problem) => {
    const error = expectInputError(() => parseImages(text), 'images');
    expect(error.message).toContain(problem);
  });
});

describe('parseFlavor', () => {
  it('defaults', () => {
    const flavor = parseFlavor('');
    expect([flavor.latest, flavor.prefix.source, flavor.prefixLatest, flavor.suffix.source, flavor.suffixLatest]).toStrictEqual(['auto', '', false, '', false]);
  });

  it('README "flavor input"', () => {
    const flavor = parseFlavor('latest=false\nprefix=app-,onlatest=true\nsuffix=-slim');
    expect([flavor.latest, flavor.prefix.source, flavor.prefixLatest, flavor.suffix.source, flavor.suffixLatest]).toStrictEqual(['false', 'app-', true, '-slim', false]);
  });

  it.each([
    ['latest=yes', 'latest must be auto, true or false, not "yes"'],
    ['prefix=a-,onlatest=maybe', 'onlatest must be true or false'],
    ['onlatest=true', 'onlatest must follow prefix=... or suffix=...'],
    ['latst=true', 'unknown flavor "latst"'],
    ['latest', '"latest" is not key=value'],
    ['prefix={{nope}}-', '"nope" is not known here'],
  ])('rejects %j', (text, problem) => {
    expect(expectInputError(() => parseFlavor(text), 'flavor').message).toContain(problem);
  });
});

describe('parseCustomEntries', () => {
  it('keeps the key as written and the value as a template', () => {
    const entries = parseCustomEntries("maintainer=Acme\norg.opencontainers.image.created={{commit_date 'YYYY'}}\nempty=", 'labels');
    expect(entries.map((entry) => [entry.key, entry.value.source])).toStrictEqual([
      ['maintainer', 'Acme'],
      ['org.opencontainers.image.created', "{{commit_date 'YYYY'}}"],
      ['empty', ''],
    ]);
  });

  it('leaves out a line without "=" with a warning, as metadata-action does', () => {
    const warnings: string[] = [];
    const entries = parseCustomEntries('maintainer\nvendor=Acme', 'labels', (message) => warnings.push(message));
    expect(entries.map((entry) => entry.key)).toStrictEqual(['vendor']);
    expect(warnings).toStrictEqual(['labels: "maintainer" is not key=value and is left out (e.g. org.opencontainers.image.vendor=Acme)']);
  });

  it('reads # as a comment only at the start of a line (context.test.ts getInputs cases 3 and 4)', () => {
    const entries = parseCustomEntries('mylabel=foo#bar\n#comment\n  # indented comment\nanother=bar', 'labels');
    expect(entries.map((entry) => [entry.key, entry.value.source])).toStrictEqual([
      ['mylabel', 'foo#bar'],
      ['another', 'bar'],
    ]);
  });

  it.each<['labels' | 'annotations', string, string]>([
    ['labels', '=value', 'the key before "=" is empty'],
    ['labels', '{{branch}}=x', 'the key cannot use {{...}} expressions'],
    ['labels', 'a={{nope}}', '"nope" is not known here'],
    ['annotations', 'index:org.example=x', 'give the key without a level'],
    ['annotations', 'manifest[linux/amd64]:org.example=x', 'give the key without a level'],
  ])('%s rejects %j', (input, text, problem) => {
    expect(expectInputError(() => parseCustomEntries(text, input), input).message).toContain(problem);
  });
});

describe('parseMetadataInputs', () => {
  const raw = (overrides: Partial<MetadataRawInputs>): MetadataRawInputs => ({ images: '', tags: '', flavor: '', labels: '', annotations: '', ...overrides });

  it('reads all five inputs', () => {
    const parsed = parseMetadataInputs(raw({ images: 'name/app', tags: 'type=sha', flavor: 'latest=false', labels: 'a=b', annotations: 'c=d' }));
    expect(parsed.images).toStrictEqual([{ name: 'name/app', enable: true }]);
    expect(parsed.rules.map((rule) => rule.type)).toStrictEqual(['sha']);
    expect(parsed.flavor.latest).toBe('false');
    expect(parsed.labels.map((entry) => entry.key)).toStrictEqual(['a']);
    expect(parsed.annotations.map((entry) => entry.key)).toStrictEqual(['c']);
  });

  it('collects the notices and warnings of reading them', () => {
    const parsed = parseMetadataInputs(raw({ images: 'Name/App', labels: 'nolabel', annotations: 'noannotation' }));
    expect(parsed.images).toStrictEqual([{ name: 'name/app', enable: true, written: 'Name/App' }]);
    expect(parsed.notices).toHaveLength(1);
    expect(parsed.warnings).toHaveLength(2);
  });

  it.each<[Partial<MetadataRawInputs>, string]>([
    [{ images: 'name/app:1' }, 'images'],
    [{ tags: 'type=semvr' }, 'tags'],
    [{ flavor: 'latest=sometimes' }, 'flavor'],
    [{ labels: '=nokey' }, 'labels'],
    [{ annotations: 'index:a=b' }, 'annotations'],
  ])('%j is an error about %s', (overrides, input) => {
    expectInputError(() => parseMetadataInputs(raw(overrides)), input);
  });
});
