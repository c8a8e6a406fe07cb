/** The SDK version, also sent in the Hello agent string. Kept in step with sdk/package.json by a test. */
export const SDK_VERSION = '0.1.0';
/** Agent string sent in Hello: "plexus/VERSION (node vX.Y.Z)". */
export const AGENT = `plexus/${SDK_VERSION} (node ${process.version})`;
