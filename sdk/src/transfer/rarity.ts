import type { Bitfield } from './bitfield.js';

/** How many connected peers have each piece (its availability), for rarest-first picking. */
export class Rarity {
  readonly #counts: Uint32Array;

  constructor(pieces: number) {
    this.#counts = new Uint32Array(pieces);
  }

  add(bitfield: Bitfield): void {
    for (let i = 0; i < this.#counts.length; i++) if (bitfield.get(i)) this.#counts[i]!++;
  }

  remove(bitfield: Bitfield): void {
    for (let i = 0; i < this.#counts.length; i++) if (bitfield.get(i) && this.#counts[i]! > 0) this.#counts[i]!--;
  }

  increment(piece: number): void {
    this.#counts[piece]!++;
  }

  decrement(piece: number): void {
    if (this.#counts[piece]! > 0) this.#counts[piece]!--;
  }

  availability(piece: number): number {
    return this.#counts[piece]!;
  }
}
