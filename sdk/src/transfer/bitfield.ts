/**
 * A set of piece indexes as BEP 3 lays it out: bit 7 of byte 0 is piece 0, bit 6 piece 1, ...
 * Spare bits at the end are zero. Travels as base64 of those bytes.
 */
export class Bitfield {
  readonly length: number;
  readonly bytes: Uint8Array;
  #count = 0;

  constructor(length: number, bytes?: Uint8Array) {
    this.length = length;
    this.bytes = new Uint8Array(Math.ceil(length / 8));
    if (bytes) {
      this.bytes.set(bytes.subarray(0, this.bytes.length));
      for (let i = 0; i < length; i++) if (this.get(i)) this.#count++;
      // Spare bits must be zero (BEP 3); clear them rather than trust them.
      const spare = this.bytes.length * 8 - length;
      if (spare > 0) this.bytes[this.bytes.length - 1]! &= 0xff << spare;
    }
  }

  static full(length: number): Bitfield {
    const b = new Bitfield(length);
    for (let i = 0; i < length; i++) b.set(i);
    return b;
  }

  /** Decode base64; throws on a length that does not match. */
  static fromBase64(text: string, length: number): Bitfield {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== Math.ceil(length / 8)) throw new RangeError(`bitfield of ${bytes.length} bytes for ${length} pieces`);
    return new Bitfield(length, bytes);
  }

  get(index: number): boolean {
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  set(index: number): void {
    if (index < 0 || index >= this.length || this.get(index)) return;
    this.bytes[index >> 3]! |= 0x80 >> (index & 7);
    this.#count++;
  }

  clear(index: number): void {
    if (index < 0 || index >= this.length || !this.get(index)) return;
    this.bytes[index >> 3]! &= ~(0x80 >> (index & 7));
    this.#count--;
  }

  /** Pieces set. */
  get count(): number {
    return this.#count;
  }

  get complete(): boolean {
    return this.#count === this.length;
  }

  toBase64(): string {
    return Buffer.from(this.bytes).toString('base64');
  }
}
