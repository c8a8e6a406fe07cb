import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { parseAddress } from '../peers/index.js';
import { parseDuration } from './format.js';

/** Default data folder: $PLEXUS_DATA_DIR, else ./.plexus/node. */
export function defaultDataDir(): string {
  return resolve(process.env.PLEXUS_DATA_DIR ?? '.plexus/node');
}

export function portOption(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535 (0 picks a free port)');
  return n;
}

export function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function durationOption(text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function announceOption(text: string): string {
  try {
    return parseAddress(text).address;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function addressOption(text: string, previous: string[] = []): string[] {
  try {
    return [...previous, parseAddress(text).address];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
