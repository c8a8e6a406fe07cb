import type { Connection, Direction } from '../transport/index.js';

/** What the node exposes about a connected peer. Times are ms since epoch, durations ms. */
export interface PeerInfo {
  nodeId: string;
  name: string | null;
  /** Where the peer listens ("host:port"), or where we dialed it, or its socket address. */
  address: string;
  /** The socket's remote end, "ip:port". */
  remoteAddress: string;
  direction: Direction;
  agent: string;
  /** Smoothed round-trip time (RFC 6298 SRTT, alpha 1/8), or null before the first pong. */
  rttMs: number | null;
  /** The latest round-trip sample, or null. */
  lastRttMs: number | null;
  connectedAt: number;
  /** When the last frame of any kind arrived from this peer. */
  lastSeen: number;
  /** Misbehaviour score; 0 is clean, more negative is worse. */
  score: number;
  bytesIn: number;
  bytesOut: number;
}

/** A connected, authenticated peer. The connection may be swapped when duplicates collapse. */
export class Peer {
  readonly nodeId: string;
  readonly publicKey: string;
  name: string | null;
  agent: string;
  /** Where the peer says it listens (signed in its Hello). */
  listenAddress: string | null;
  /** The address we dialed, for outbound connections. */
  dialedAddress: string | null;
  connection: Connection;
  readonly connectedAt = Date.now();
  rttMs: number | null = null;
  lastRttMs: number | null = null;
  /** Set when the heartbeat declares the peer dead, before the socket is dropped. */
  deadReason: string | null = null;
  /** Set when this node's operator disconnected or banned it (not a failure). */
  closedByOperator = false;

  constructor(init: {
    nodeId: string;
    publicKey: string;
    name: string | null;
    agent: string;
    listenAddress: string | null;
    dialedAddress: string | null;
    connection: Connection;
  }) {
    this.nodeId = init.nodeId;
    this.publicKey = init.publicKey;
    this.name = init.name;
    this.agent = init.agent;
    this.listenAddress = init.listenAddress;
    this.dialedAddress = init.dialedAddress;
    this.connection = init.connection;
  }

  get address(): string {
    return this.listenAddress ?? this.dialedAddress ?? this.connection.remoteAddress;
  }

  /** Record a round-trip sample (ms). */
  recordRtt(sampleMs: number): void {
    this.lastRttMs = sampleMs;
    this.rttMs = this.rttMs === null ? sampleMs : this.rttMs + (sampleMs - this.rttMs) / 8;
  }

  info(score: number): PeerInfo {
    return {
      nodeId: this.nodeId,
      name: this.name,
      address: this.address,
      remoteAddress: this.connection.remoteAddress,
      direction: this.connection.direction,
      agent: this.agent,
      rttMs: this.rttMs === null ? null : Math.round(this.rttMs * 100) / 100,
      lastRttMs: this.lastRttMs === null ? null : Math.round(this.lastRttMs * 100) / 100,
      connectedAt: this.connectedAt,
      lastSeen: this.connection.lastReceivedAt,
      score,
      bytesIn: this.connection.bytesIn,
      bytesOut: this.connection.bytesOut,
    };
  }
}
