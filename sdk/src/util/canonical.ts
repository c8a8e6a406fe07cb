import canonicalize from 'canonicalize';

/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) as UTF-8 bytes: the form every
 * signature in Plexus is computed over.
 * @throws TypeError when the value has no JSON form (undefined, a function, a cycle).
 */
export function canonicalBytes(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no canonical JSON form');
  return Buffer.from(text, 'utf8');
}
