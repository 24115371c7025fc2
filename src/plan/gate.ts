import { InputError } from '../errors.js';

/**
 * The gate: tests and a scan that run on the exact image that will be pushed, before
 * anything is pushed. The image is built once and loaded (containerd image store: its
 * image ID is the index digest), gated, then pushed as is, so the pushed digest is the
 * gated one. On the classic store a multi-platform image is built into an OCI layout
 * instead, gated one platform at a time, and that layout is pushed.
 */
export interface GatePlan {
  /** argv run in a container of the image (entrypoint reset), or undefined. */
  readonly test?: readonly string[];
  /** Platforms the test runs on: the native one first, then `test-platforms` (emulated). */
  readonly testPlatforms: readonly string[];
  /** argv run on the host, with {image} and {oci} substituted, or undefined. */
  readonly scan?: readonly string[];
  /** A local name for the image when it has no tags. */
  readonly localName: string;
}

/**
 * Splits a command line into argv the way a POSIX shell would split words (quotes and
 * backslashes), without running a shell: `$(...)`, `;` and `|` stay literal text.
 */
export function splitCommand(input: string, text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && ['"', '\\', '$', '`'].includes(text[index + 1] ?? '')) word += text[++index];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && index + 1 < text.length) {
      word += text[++index];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new InputError(input, `the command has an unclosed ${quote} quote`, input === 'scan' ? 'trivy image --exit-code 1 {image}' : 'npm test');
  if (inWord) words.push(word);
  return words;
}
