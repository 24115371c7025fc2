// Which tags the rules give for one run: the first (highest priority) non-empty value is
// the version, the others its partials, and the rule that gave the version decides
// whether `latest` is added.

import { InputError } from '../errors.js';
import { isRawStatement, renderTemplate, type Expression, type Template } from './expressions.js';
import type { Flavor } from './flavor.js';
import { quote } from './lines.js';
import type { TagRule } from './rules.js';
import { parsePep440, parseSemver } from './semver-pep440.js';

export interface MetadataVersion {
  /** The first tag; '' when no rule applies. */
  main: string;
  /** The other tags, without duplicates and without `main`. */
  partial: string[];
  /** Whether `latest` is tagged too. */
  latest: boolean;
}

/** Runs of characters a tag cannot hold become one `-` (`my/feature#1` → `my-feature-1`). */
export function sanitizeTag(tag: string): string {
  return tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

/** The value a rule produced and whether, under latest=auto, it earns `latest`. */
interface Produced {
  readonly value: string;
  readonly latest: boolean;
}

/** The first `length` characters of a commit SHA ({{sha}}, type=sha). */
export function shortSha(sha: string, length: number): string {
  return length >= sha.length ? sha : sha.slice(0, length);
}

/** The git tag (or the rule's value) that semver, pep440 and match rules read; undefined when neither applies. */
function versionSource(rule: { value: Template }, facts: RunFacts, render: Render): string | undefined {
  // metadata-action tests the attribute as written, before rendering it.
  if (rule.value.source !== '') return render(rule.value);
  return facts.ref.startsWith('refs/tags/') ? facts.ref.slice('refs/tags/'.length) : undefined;
}

function pickWithMatch(raw: string, match: RegExp | undefined, warnings: string[]): string {
  if (!match) return raw;
  const found = raw.match(match);
  if (!found) {
    warnings.push(`match ${match.source} does not match "${raw}": using "${raw}" as it is`);
    return raw;
  }
  return found[1] ?? '';
}

function fromVersionPattern(pattern: Template, fields: Readonly<Record<string, string | number>>): string {
  return renderTemplate(pattern, (expression: Expression) => String(fields[expression.name] ?? ''));
}

function produce(rule: TagRule, facts: RunFacts, render: Render, warnings: string[]): Produced | undefined {
  switch (rule.type) {
    case 'schedule':
      if (!/schedule/.test(facts.eventName)) return undefined;
      return { value: render(rule.pattern), latest: false };

    case 'semver': {
      const source = versionSource(rule, facts, render);
      if (source === undefined) return undefined;
      const raw = pickWithMatch(source, rule.match, warnings).replace(/\//g, '-');
      const semver = parseSemver(raw);
      if (!semver) {
        warnings.push(`"${raw}" is not a valid semver (https://semver.org/): ${quote(rule.source)} gives no tag`);
        return undefined;
      }
      // Pre-releases only get {{version}} (or {{raw}}): a 2.0.0-rc.1 must not move the 2 or 2.0 tags.
      if (semver.prerelease.length > 0) {
        return { value: isRawStatement(rule.pattern) ? semver.raw : semver.version, latest: false };
      }
      const fields = { raw: semver.raw, version: semver.version, major: semver.major, minor: semver.minor, patch: semver.patch };
      return { value: fromVersionPattern(rule.pattern, fields), latest: true };
    }

    case 'pep440': {
      const source = versionSource(rule, facts, render);
      if (source === undefined) return undefined;
      const raw = pickWithMatch(source, rule.match, warnings).replace(/\//g, '-');
      const pep440 = parsePep440(raw);
      if (!pep440) {
        warnings.push(`"${raw}" does not conform to PEP 440 (https://peps.python.org/pep-0440/): ${quote(rule.source)} gives no tag`);
        return undefined;
      }
      if (pep440.isPrerelease || pep440.isPostrelease || pep440.isDevrelease) {
        return { value: isRawStatement(rule.pattern) ? raw : pep440.cleaned, latest: false };
      }
      const fields = { raw, version: pep440.cleaned, major: pep440.major, minor: pep440.minor, patch: pep440.patch };
      return { value: fromVersionPattern(rule.pattern, fields), latest: true };
    }

    case 'match': {
      const source = versionSource(rule, facts, render);
      if (source === undefined) return undefined;
      // String.prototype.match, as metadata-action: with the g flag it lists whole matches.
      const found = source.match(rule.pattern);
      if (!found) {
        warnings.push(`pattern ${rule.pattern.toString()} does not match "${source}": ${quote(rule.source)} gives no tag`);
        return undefined;
      }
      const group = found[rule.group];
      if (group === undefined) {
        warnings.push(`group ${rule.group} does not exist for pattern ${rule.pattern.toString()}: ${quote(rule.source)} gives no tag`);
        return undefined;
      }
      return { value: group, latest: true };
    }

    case 'edge': {
      if (!facts.ref.startsWith('refs/heads/')) return undefined;
      const branch = rule.branch === '' ? facts.defaultBranch : rule.branch;
      if (branch !== facts.ref.slice('refs/heads/'.length)) return undefined;
      return { value: 'edge', latest: false };
    }

    case 'ref': {
      const prefix = { branch: 'refs/heads/', tag: 'refs/tags/', pr: 'refs/pull/' }[rule.event];
      if (!facts.ref.startsWith(prefix)) return undefined;
      let value = facts.ref.slice(prefix.length);
      if (rule.event === 'pr') value = value.replace(/\/merge$/, '');
      return { value, latest: rule.event === 'tag' };
    }

    case 'raw':
      return { value: render(rule.value), latest: false };

    case 'sha':
      if (facts.sha === '') return undefined;
      return { value: rule.format === 'short' ? shortSha(facts.sha, facts.shortShaLength) : facts.sha, latest: false };
  }
}

/** A rule's prefix or suffix, else the flavor's. */
function decorate(value: string, rule: TagRule, flavor: Flavor, render: Render): string {
  const prefix = rule.prefix ? render(rule.prefix) : render(flavor.prefix);
  const suffix = rule.suffix ? render(rule.suffix) : render(flavor.suffix);
  return `${prefix}${value}${suffix}`;
}

/** Evaluates the rules (already sorted by priority) against one run. */
export function computeVersion(rules: readonly TagRule[], flavor: Flavor, facts: RunFacts, render: Render): { version: MetadataVersion; warnings: string[] } {
  const warnings: string[] = [];
  let main: string | undefined;
  const partial: string[] = [];
  let latest: boolean | undefined;

  for (const rule of rules) {
    const enabled = render(rule.enable);
    if (enabled !== 'true' && enabled !== 'false') {
      throw new InputError('tags', `rule ${quote(rule.source)}: enable rendered to "${enabled}", not true or false`, 'enable={{is_default_branch}}');
    }
    if (enabled === 'false') continue;

    const produced = produce(rule, facts, render, warnings);
    if (!produced) continue;
    const decorated = decorate(produced.value, rule, flavor, render);
    // An empty value (type=raw,value={{tag}} on a branch) gives no tag at all.
    if (decorated === '') continue;
    const tag = sanitizeTag(decorated);
    if (main === undefined) main = tag;
    else if (tag !== main && !partial.includes(tag)) partial.push(tag);
    // The rule that gives the first tag decides about `latest`.
    latest ??= flavor.latest === 'auto' ? produced.latest : flavor.latest === 'true';
  }
  return { version: { main: main ?? '', partial, latest: latest ?? false }, warnings };
}

/** The facts of the run the rules look at, with metadata-action's adjustments applied. */
export interface RunFacts {
  readonly eventName: string;
  readonly ref: string;
  readonly sha: string;
  readonly payload: Record<string, unknown>;
  readonly now: Date;
  readonly commitDate: Date;
  readonly shortShaLength: number;
  /** Compared with the pushed branch by type=edge. */
  readonly defaultBranch: string;
}

/** Renders a template with the global expressions ({{branch}}, {{date '...'}}, …). */
export type Render = (template: Template) => string;
