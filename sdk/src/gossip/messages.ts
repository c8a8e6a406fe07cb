import type { FromSchema } from 'json-schema-to-ts';

/**
 * The gossip messages (docs/protocol.md §17), all notices. Body types derive from the schemas
 * the codec checks before any handler runs.
 *
 *   Gossip {id, topic, payload, hops, ttl, sentAt}  the full message, pushed eagerly
 *   IHave  {ids}                                   lazy announcement of message IDs
 *   Graft  {ids}                                   "send me these, and push to me eagerly from now on"
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

export const IDS_SCHEMA = {
  type: 'object',
  properties: { ids: { type: 'array', minItems: 1, maxItems: 64, items: HEX64 } },
  required: ['ids'],
  additionalProperties: false,
} as const;

export const PRUNE_SCHEMA = { type: 'object', properties: {}, additionalProperties: false } as const;

export type GossipBody = Omit<FromSchema<typeof GOSSIP_SCHEMA>, 'payload'> & { payload: unknown };
export type IdsBody = FromSchema<typeof IDS_SCHEMA>;
export type PruneBody = FromSchema<typeof PRUNE_SCHEMA>;
