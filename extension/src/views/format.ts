/** Short forms shown in the trees and messages. */

/** First 12 hex characters of a node ID, contract address or file ID. */
export const shortId = (id: string): string => id.slice(0, 12);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatRtt(ms: number | null): string {
  return ms === null ? 'measuring…' : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

/** "14:03:07" today, else the date too. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** One line for a JSON value: strings quoted, objects abbreviated. */
export function formatValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

/**
 * How chat shows a node: `name (abcd1234)` with the first 8 hex characters of its node ID, or
 * `abcd1234` alone when it has no name. The name is a label anyone can pick; the ID part keeps
 * two nodes of the same name apart.
 */
export function chatLabel(name: string | null | undefined, nodeId: string): string {
  const id = nodeId.slice(0, 8);
  const label = name?.trim();
  return label ? `${label} (${id})` : id;
}
