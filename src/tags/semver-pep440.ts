// Version parsing for type=semver and type=pep440, with the rules of the libraries
// metadata-action uses (node-semver's strict `valid`, @renovate/pep440's `valid`/`clean`).

// --- SemVer 2.0.0, with one optional leading `v` -------------------------------------

const NUMBER = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(`^v?(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`);
const SEMVER_MAX_LENGTH = 256;

export interface SemVer {
  /** The text as given (with `v`, build metadata…): `{{raw}}`. */
  readonly raw: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly string[];
  /** major.minor.patch[-prerelease], without `v` or build metadata: `{{version}}`. */
  readonly version: string;
}

/** Parses a strict SemVer (surrounding whitespace allowed); undefined when it is not one. */
export function parseSemver(raw: string): SemVer | undefined {
  if (raw.length > SEMVER_MAX_LENGTH) return undefined;
  const match = SEMVER.exec(raw.trim());
  if (!match) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = match[4] === undefined ? [] : match[4].split('.');
  const version = `${major}.${minor}.${patch}${prerelease.length > 0 ? `-${prerelease.join('.')}` : ''}`;
  return { raw, major, minor, patch, prerelease, version };
}

// --- PEP 440 ----------------------------------------------------------------------------

// Public version [+local]; separators and spellings as PEP 440 allows them, any case.
const PEP440 =
  /^v?(?:(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

const PRE_SPELLINGS: Readonly<Record<string, string>> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

export interface Pep440Version {
  readonly raw: string;
  readonly release: readonly number[];
  readonly major: number;
  /** 0 when the release has fewer parts, as in @renovate/pep440. */
  readonly minor: number;
  readonly patch: number;
  /** True for a pre-release (a, b, rc) or a development release. */
  readonly isPrerelease: boolean;
  readonly isPostrelease: boolean;
  readonly isDevrelease: boolean;
  /** The normalised form: `v1.2.3beta2` is `1.2.3b2`, `1.2post1` is `1.2.post1`. */
  readonly normalized: string;
  /**
   * What @renovate/pep440's clean() gives, which metadata-action's {{version}} is: the
   * normalised form, but local parts joined by commas (it prints an array), so the tag of
   * `1.0+abc.1` is `1.0-abc-1` there. Kept so migrating users get the same tags.
   */
  readonly cleaned: string;
}

export function parsePep440(raw: string): Pep440Version | undefined {
  const match = PEP440.exec(raw);
  if (!match) return undefined;
  const [, epochText, releaseText, preLetter, preNumber, postImplicit, postLetter, postNumber, devLetter, devNumber, local] = match;
  const epoch = Number(epochText ?? 0);
  const release = (releaseText as string).split('.').map(Number);
  const pre = preLetter === undefined ? undefined : `${PRE_SPELLINGS[preLetter.toLowerCase()]}${Number(preNumber ?? 0)}`;
  const postValue = postImplicit ?? (postLetter === undefined ? undefined : (postNumber ?? '0'));
  const post = postValue === undefined ? undefined : Number(postValue);
  const dev = devLetter === undefined ? undefined : Number(devNumber ?? 0);
  // Local parts: numbers lose leading zeros, words are lower-cased, all joined by dots.
  const localParts = local?.split(/[-_.]/).map((part) => (Number.isNaN(Number(part)) ? part.toLowerCase() : String(Number(part))));

  let publicVersion = epoch === 0 ? '' : `${epoch}!`;
  publicVersion += release.join('.');
  if (pre !== undefined) publicVersion += pre;
  if (post !== undefined) publicVersion += `.post${post}`;
  if (dev !== undefined) publicVersion += `.dev${dev}`;
  const normalized = localParts ? `${publicVersion}+${localParts.join('.')}` : publicVersion;
  const cleaned = localParts ? `${publicVersion}+${localParts.join(',')}` : publicVersion;

  return {
    raw,
    release,
    major: release[0] as number,
    minor: release[1] ?? 0,
    patch: release[2] ?? 0,
    isPrerelease: pre !== undefined || dev !== undefined,
    isPostrelease: post !== undefined,
    isDevrelease: dev !== undefined,
    normalized,
    cleaned,
  };
}
