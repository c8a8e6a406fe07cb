/** base64url (RFC 4648 §5) without padding. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Decode base64url (RFC 4648 §5, no padding). Only the canonical encoding is accepted: a text
 * whose unused trailing bits are not zero (RFC 4648 §3.5), or whose length leaves a lone
 * character, would let one byte string have several spellings, so it throws.
 * @throws TypeError on characters outside the alphabet or a non-canonical encoding
 */
export function fromBase64url(text: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError('not base64url');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new TypeError('not canonical base64url (non-zero trailing bits or a stray character)');
  return bytes;
}
