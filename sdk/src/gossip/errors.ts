import { PlexusError } from '../errors.js';

/** `publish()` with a payload over the size cap, no JSON form, or a bad topic name. Code `INVALID_GOSSIP`. */
export class InvalidGossipError extends PlexusError {
  constructor(message: string) {
    super('INVALID_GOSSIP', message);
  }
}

/** `register()` of a topic that already has a handler. Code `TOPIC_TAKEN`. */
export class TopicTakenError extends PlexusError {
  constructor(topic: string) {
    super('TOPIC_TAKEN', `topic ${topic} already has a handler`);
  }
}
