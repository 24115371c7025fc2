import { InputError } from '../errors.js';
import { listEntries, listProblem, quote, splitFields, splitKeyValue } from './lines.js';
import { parseImageReference } from './reference.js';

/** One entry of the `images` input. */
export interface MetadataImage {
  /** The image name without tag, e.g. `ghcr.io/acme/app`. */
  readonly name: string;
  readonly enable: boolean;
  /** The name as written, when it had capitals (metadata-action lower-cases it; the step says so). */
  readonly written?: string;
}

const EXAMPLE = 'ghcr.io/acme/app (or name=ghcr.io/acme/app,enable=true)';

/** The image, lower-cased as metadata-action does (`ghcr.io/${{ github.repository }}` often has capitals). */
function checkedImage(written: string, enable: boolean, entry: string): MetadataImage {
  const fail = (problem: string): never => {
    throw new InputError('images', `image ${quote(entry)}: ${problem}`, EXAMPLE);
  };
  if (written === '') fail('the name is empty');
  const name = written.toLowerCase();
  // The shared reference grammar names the input and says what is wrong.
  const { tag } = parseImageReference(name, 'images', EXAMPLE);
  if (tag !== undefined) fail(`"${written}" has a tag (:${tag}); give the name only, the tags come from the tags input`);
  return { name, enable, ...(name === written ? {} : { written }) };
}

/** What the step tells about names it lower-cased. */
export function lowercasedNotices(images: readonly MetadataImage[]): string[] {
  return images.flatMap((image) => (image.written === undefined ? [] : [`images: "${image.written}" is pushed as "${image.name}" (image names are lowercase, as docker/metadata-action makes them)`]));
}

/**
 * Parses `images`: one image a line, or several names on one line separated by commas,
 * each line optionally `name=...,enable=true|false`.
 */
export function parseImages(text: string): MetadataImage[] {
  const images: MetadataImage[] = [];
  const entries = listEntries(text);
  if (!Array.isArray(entries)) throw new InputError('images', listProblem(entries, 'image '), EXAMPLE);
  for (const entry of entries) {
    const fields = splitFields(entry);
    if (!Array.isArray(fields)) throw new InputError('images', `image ${quote(entry)}: ${fields.problem}`, EXAMPLE);
    const parsed = fields.map(splitKeyValue);
    // `a/app,b/app`: several plain names on one line.
    if (parsed.every((field) => 'bare' in field)) {
      for (const field of parsed) {
        if ('bare' in field && field.bare !== '') images.push(checkedImage(field.bare, true, entry));
      }
      continue;
    }
    let name = '';
    let enable = true;
    for (const field of parsed) {
      if ('bare' in field || field.key === 'name') {
        const given = 'bare' in field ? field.bare : field.value;
        // `a/app,name=b/app`: metadata-action keeps the last; which one was meant is a guess.
        if (name !== '') throw new InputError('images', `image ${quote(entry)}: the name is given twice ("${name}" and "${given}")`, EXAMPLE);
        name = given;
      } else if (field.key === 'enable') {
        if (field.value !== 'true' && field.value !== 'false') {
          throw new InputError('images', `image ${quote(entry)}: enable must be true or false, not "${field.value}"`, EXAMPLE);
        }
        enable = field.value === 'true';
      } else {
        throw new InputError('images', `image ${quote(entry)}: unknown attribute "${field.key}" (use name and enable)`, EXAMPLE);
      }
    }
    images.push(checkedImage(name, enable, entry));
  }
  return images;
}
