import type { FromSchema } from 'json-schema-to-ts';

/**
 * The gossip messages (docs/protocol.md §17), all notices. Body types derive from the schemas
 * the codec checks before any handler runs.
 *
 *   Gossip {id, topic, payload, hops, ttl, sentAt}  the full message, pushed eagerly
 *   IHave  {ids, hops?}                            lazy announcement of message IDs, with the hop
 *                                                  count each would arrive with from this sender
 *   Graft  {ids}                                   "send me these (none: nothing), and push to me
 *                                                  eagerly from now on"
 *   Prune  {}                                      "I got that one already: only announce to me"
 */
const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const TOPIC_PATTERN = '^[a-z][a-z0-9._/:-]{0,63}$';

export const GOSSIP_SCHEMA = {
  type: 'object',
  properties: {
    id: HEX64,
    topic: { type: 'string', pattern: TOPIC_PATTERN },
    payload: {},
    hops: { type: 'integer', minimum: 1, maximum: 255 },
    ttl: { type: 'integer', minimum: 0, maximum: 254 },
    sentAt: { type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 },
  },
  required: ['id', 'topic', 'payload', 'hops', 'ttl', 'sentAt'],
  additionalProperties: false,
} as const;

export const IHAVE_SCHEMA = {
  type: 'object',
  properties: {
    ids: { type: 'array', minItems: 1, maxItems: 64, items: HEX64 },
    hops: { type: 'integer', minimum: 1, maximum: 255 },
  },
  required: ['ids'],
  additionalProperties: false,
} as const;

/** `ids` may be empty: Plumtree's optimisation grafts a link without asking for a message. */
export const GRAFT_SCHEMA = {
  type: 'object',
  properties: { ids: { type: 'array', minItems: 0, maxItems: 64, items: HEX64 } },
  required: ['ids'],
  additionalProperties: false,
} as const;

export const PRUNE_SCHEMA = { type: 'object', properties: {}, additionalProperties: false } as const;

export type GossipBody = Omit<FromSchema<typeof GOSSIP_SCHEMA>, 'payload'> & { payload: unknown };
export type IHaveBody = FromSchema<typeof IHAVE_SCHEMA>;
export type GraftBody = FromSchema<typeof GRAFT_SCHEMA>;
export type PruneBody = FromSchema<typeof PRUNE_SCHEMA>;
