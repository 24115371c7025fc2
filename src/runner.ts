/**
 * How the action talks to the GitHub Actions runner: inputs from INPUT_* variables,
 * outputs/state/summary through the runner's files, logging through workflow commands.
 *
 * This replaces @actions/core on purpose: loading that bundle (it pulls in an HTTP client
 * and undici) costs ~70 ms of every step's start on these machines, twice per job (main
 * and post), for a protocol this small. It follows GitHub's documented workflow commands.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

/** Workflow-command data escaping, as the runner expects it. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The value of an input ('' when unset), trimmed unless `keepWhitespace` (separators). */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env, keepWhitespace = false): string {
  const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
  return keepWhitespace ? value : value.trim();
}

/** `name<<DELIMITER` block for the runner's file commands (safe for multi-line values). */
export function fileCommand(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`the value of ${name} contains the delimiter`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

function appendToFile(variable: string, text: string): void {
  const file = process.env[variable];
  if (!file) throw new Error(`${variable} is not set: is this running inside a GitHub Actions runner?`);
  appendFileSync(file, text, 'utf8');
}

export function setOutput(name: string, value: string): void {
  appendToFile('GITHUB_OUTPUT', fileCommand(name, value));
}

/** Sets an environment variable for the later steps of the job. */
export function exportVariable(name: string, value: string): void {
  appendToFile('GITHUB_ENV', fileCommand(name, value));
}

export function saveState(name: string, value: string): void {
  appendToFile('GITHUB_STATE', fileCommand(name, value));
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

export function appendSummary(markdown: string): void {
  appendToFile('GITHUB_STEP_SUMMARY', markdown);
}

function command(name: string, message: string): void {
  process.stdout.write(`::${name}::${escapeData(message)}${EOL}`);
}

/** Masks a secret in every later log line (each line of a multi-line secret too). */
export function setSecret(secret: string): void {
  if (!secret) return;
  command('add-mask', secret);
  for (const line of secret.split(/\r?\n/)) if (line.trim() && line !== secret) command('add-mask', line);
}

export function info(message: string): void {
  process.stdout.write(`${message}${EOL}`);
}

export function debug(message: string): void {
  command('debug', message);
}

export function notice(message: string): void {
  command('notice', message);
}

export function warning(message: string): void {
  command('warning', message);
}

export function error(message: string): void {
  command('error', message);
}

export function startGroup(name: string): void {
  command('group', name);
}

export function endGroup(): void {
  process.stdout.write(`::endgroup::${EOL}`);
}

/** Logs the error annotation and marks the step failed. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}
