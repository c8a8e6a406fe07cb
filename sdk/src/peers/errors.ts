import { PlexusError } from '../errors.js';

/** No connected peer has this node ID. */
export class PeerNotFoundError extends PlexusError {
  constructor(nodeId: string) {
    super('PEER_NOT_FOUND', `no connected peer ${nodeId}`);
  }
}

/** "host:port" was expected. */
export class InvalidAddressError extends PlexusError {
  constructor(address: string) {
    super('INVALID_ADDRESS', `"${address}" is not HOST:PORT (port 1-65535)`);
  }
}

/** Connecting to this node's own listen address. */
export class SelfDialError extends PlexusError {
  constructor(address: string) {
    super('SELF_CONNECTION', `${address} is this node's own address`);
  }
}
