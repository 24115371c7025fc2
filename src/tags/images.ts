import { InputError } from '../errors.js';
import { listEntries, quote, splitFields, splitKeyValue } from './lines.js';
import { parseImageReference } from './reference.js';

/** One entry of the `images` input. */
export interface MetadataImage {
  /** The image name without tag, e.g. `ghcr.io/acme/app`. */
  readonly name: string;
  readonly enable: boolean;
}

const EXAMPLE = 'ghcr.io/acme/app (or name=ghcr.io/acme/app,enable=true)';

function checkName(name: string, entry: string): string {
  const fail = (problem: string): never => {
    throw new InputError('images', `image ${quote(entry)}: ${problem}`, EXAMPLE);
  };
  if (name === '') fail('the name is empty');
  // metadata-action lower-cases names silently; we say so instead, because the name the
  // user wrote is also what they log in to and pull from.
  if (name !== name.toLowerCase()) fail(`image names must be lowercase: write "${name.toLowerCase()}"`);
  // The shared reference grammar names the input and says what is wrong.
  const { tag } = parseImageReference(name, 'images', EXAMPLE);
  if (tag !== undefined) fail(`"${name}" has a tag (:${tag}); give the name only, the tags come from the tags input`);
  return name;
}

/**
 * Parses `images`: one image a line, or several names on one line separated by commas,
 * each line optionally `name=...,enable=true|false`.
 */
export function parseImages(text: string): MetadataImage[] {
  const images: MetadataImage[] = [];
  for (const entry of listEntries(text)) {
    const fields = splitFields(entry);
    if (!Array.isArray(fields)) throw new InputError('images', `image ${quote(entry)}: ${fields.problem}`, EXAMPLE);
    const parsed = fields.map(splitKeyValue);
    // `a/app,b/app`: several plain names on one line.
    if (parsed.every((field) => 'bare' in field)) {
      for (const field of parsed) {
        if ('bare' in field && field.bare !== '') images.push({ name: checkName(field.bare, entry), enable: true });
      }
      continue;
    }
    let name = '';
    let enable = true;
    for (const field of parsed) {
      if ('bare' in field) {
        name = field.bare;
      } else if (field.key === 'name') {
        name = field.value;
      } else if (field.key === 'enable') {
        if (field.value !== 'true' && field.value !== 'false') {
          throw new InputError('images', `image ${quote(entry)}: enable must be true or false, not "${field.value}"`, EXAMPLE);
        }
        enable = field.value === 'true';
      } else {
        throw new InputError('images', `image ${quote(entry)}: unknown attribute "${field.key}" (use name and enable)`, EXAMPLE);
      }
    }
    images.push({ name: checkName(name, entry), enable });
  }
  return images;
}
