/**
 * Transfer: files shared by one node and downloaded from every node that has them, in
 * pieces and 16 KiB blocks, in parallel, verified piece by piece (names after BEP 3).
 *
 * Data flow: see TransferService (network side) and Download (the download manager, which
 * talks to peers only through a TransferWire adapter). The wire messages and the binary
 * block frame are specified in docs/protocol.md.
 */
export { TransferService, type TransferComponents, type TransferInit, type TransferEvents, type ShareInfo } from './service.js';
export { Download, type DownloadInit, type DownloadProgress, type DownloadEvents, type DownloadStatus, type TransferWire, type BlockRef } from './download.js';
export { Bitfield } from './bitfield.js';
export { Rarity } from './rarity.js';
export { createManifest, verifyManifest, manifestId, formatLink, parseLink, pieceSize, choosePieceLength, type FileManifest, type FileLink } from './manifest.js';
export { decodeBlockFrame, writeBlockHeader, Seeder } from './seeder.js';
export { TransferError } from './errors.js';
export * from './constants.js';
export { files, type FilesApi } from './capability.js';
export { TransfersRepository, type ShareRow, type DownloadRow } from './repository.js';
export { TRANSFER_MIGRATIONS } from './migrations.js';
