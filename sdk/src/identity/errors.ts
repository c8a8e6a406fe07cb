import { PlexusError } from '../errors.js';

/** The identity key file exists but cannot be read or parsed; it is never replaced silently. */
export class IdentityFileError extends PlexusError {
  constructor(path: string, reason: string) {
    super('IDENTITY_FILE_INVALID', `identity key ${path} is unusable: ${reason}. Move it away to create a new identity.`);
  }
}
