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

/**
 * Parse "500000", "512KiB", "2MiB", "1.5MB", "10M" (bytes per second) into bytes/s.
 * K/M/G are powers of 1000 with B, of 1024 with iB or bare.
 */
export function rateOption(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?)([bB]?)(?:\/s)?$/.exec(text.trim());
  if (!m || (m[3] && !m[2])) throw new InvalidArgumentError(`"${text}" is not a rate (examples: 500000, 512KiB, 2MiB, 1.5MB)`);
  // "KiB" and a bare "K" are 1024; "KB"/"kb" are 1000.
  const base = m[3] === 'i' || !m[4] ? 1024 : 1000;
  const power = { '': 0, k: 1, m: 2, g: 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = Math.round(Number(m[1]) * base ** power);
  if (bytes < 1) throw new InvalidArgumentError('the rate must be at least 1 byte per second');
  return bytes;
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
