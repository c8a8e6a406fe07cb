import { InvalidAddressError } from './errors.js';

/**
 * Check and normalise "host:port" (IPv6 hosts in brackets, "[::1]:5000").
 * @throws InvalidAddressError
 */
export function parseAddress(address: string): { host: string; port: number; address: string } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})$/.exec(address.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 1 && port <= 65535)) throw new InvalidAddressError(address);
  return { host: match[1]!, port, address: `${match[1]}:${port}` };
}
