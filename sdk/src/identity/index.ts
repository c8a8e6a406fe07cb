/**
 * Node identity: an Ed25519 key pair (RFC 8032) kept in the data folder.
 *
 * On first start a key pair is generated and the private key written to
 * `DIR/identity.key` as PKCS#8 PEM with file mode 0600; later starts reuse it.
 * The public key travels as the base64url (RFC 4648 §5, no padding) encoding of its raw
 * 32 bytes. The node ID is the lowercase hex SHA-256 of those 32 raw bytes (64 characters),
 * so anyone holding the public key can check a claimed node ID.
 */
export { Identity, loadOrCreateIdentity, deriveNodeId, keyBelongsTo, verifySignature, verifySignatureAsync, IDENTITY_FILE } from './identity.js';
export { IdentityFileError } from './errors.js';
