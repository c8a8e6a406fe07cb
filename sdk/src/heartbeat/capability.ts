import type { Capability } from '../capability/index.js';
import { defineMessage } from '../capability/index.js';
import { PING_SCHEMA, type PingBody } from '../transport/index.js';
import { Heartbeat, type HeartbeatInit } from './heartbeat.js';

/** What `node.heartbeat` exposes. */
export interface HeartbeatApi {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Upper bound from a peer's silence to its removal (ms). */
  readonly detectionBoundMs: number;
}

/** The heartbeat capability: Ping/Pong on every connection, round-trip times, dead peers dropped. */
export function heartbeat(init: HeartbeatInit = {}): Capability<'heartbeat', HeartbeatApi> {
  return {
    name: 'heartbeat',
    create(ctx) {
      const hb = new Heartbeat({ peers: ctx.peers }, init);
      return {
        api: hb,
        messages: [
          defineMessage<PingBody>({ type: 'Ping', kind: 'request', schema: PING_SCHEMA, handle: (e, p) => hb.pong(e, p) }),
          defineMessage<PingBody>({ type: 'Pong', kind: 'reply', schema: PING_SCHEMA }),
        ],
        onPeerConnect: (peer) => hb.onPeerConnect(peer),
        onPeerDisconnect: (gone) => hb.onPeerDisconnect(gone),
        start: () => hb.start(),
        stop: () => hb.stop(),
      };
    },
  };
}
