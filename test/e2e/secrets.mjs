// Secret hygiene checks shared by the end-to-end tests: every place a run of the action
// printed or wrote, searched for every form a credential takes on the way to a registry.
import { readFileSync } from 'node:fs';
import { listFiles } from './runner.mjs';

/**
 * The forms a secret can leak in: the raw value, its base64, the base64 of
 * `username:secret` (HTTP Basic, docker config `auth`), and the alignment-independent
 * middles of its base64 inside a longer base64 text.
 * A secret is a string, or { secret, username }.
 */
export function secretForms(secret) {
  const { secret: value, username } = typeof secret === 'string' ? { secret } : secret;
  if (!value) return [];
  const forms = new Set([value, Buffer.from(value).toString('base64')]);
  if (username !== undefined) forms.add(Buffer.from(`${username}:${value}`).toString('base64'));
  if (value.length >= 12) {
    // Embedded in a longer base64 text, the encoding of `value` depends on its offset mod 3;
    // the characters that do not depend on neighbouring bytes are found at any offset.
    for (let offset = 0; offset < 3; offset++) {
      const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(value)]).toString('base64');
      const start = Math.ceil((offset * 4) / 3) + 1;
      const end = Math.floor(((offset + Buffer.byteLength(value)) * 4) / 3) - 1;
      if (end - start >= 12) forms.add(encoded.slice(start, end));
    }
  }
  return [...forms];
}

/**
 * Where any form of any secret appears in what a run printed (stdout minus the
 * `::add-mask::` lines the runner swallows, stderr, of main and post), its outputs, its
 * summary, or any file under the run's root or the extra folders (e.g. the runner HOME).
 * Returns a list of places, e.g. ['main stdout', 'output digest', 'file /tmp/.../config.json'];
 * empty means clean. Never includes the secret itself.
 */
export function findSecretLeaks(result, secrets, extraDirs = []) {
  const forms = secrets.flatMap(secretForms);
  const places = [];
  const texts = [];
  for (const [name, step] of [
    ['main', result.main],
    ['post', result.post],
  ]) {
    if (!step) continue;
    texts.push([
      `${name} stdout`,
      step.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
    ]);
    texts.push([`${name} stderr`, step.stderr]);
  }
  for (const [name, value] of Object.entries(result.outputs ?? {})) texts.push([`output ${name}`, String(value)]);
  texts.push(['summary', result.summary ?? '']);
  for (const dir of [result.root, ...extraDirs].filter(Boolean)) {
    for (const file of listFiles(dir)) {
      let text;
      try {
        text = readFileSync(file, 'latin1');
      } catch {
        continue; // gone (e.g. removed by a concurrent run) or unreadable
      }
      texts.push([`file ${file}`, text]);
    }
  }
  for (const [place, text] of texts) {
    if (forms.some((form) => text.includes(form))) places.push(place);
  }
  return places;
}
