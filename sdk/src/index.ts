/**
 * @plexus/sdk: a Plexus peer-to-peer node for scripts, servers and editors.
 *
 *   import { createNode } from '@plexus/sdk';
 *   const node = await createNode({ dataDir: './data', p2pPort: 5000 });
 *
 * The wire protocol is specified in docs/protocol.md, the HTTP API in docs/api.md.
 */
export { PlexusNode, createNode, type NodeInit, type NodeOptions, type NodeEvents, type NodeState, DataDirInUseError, readRunFile, lockHolder, type RunInfo } from './node/index.js';
export { createDiscoveryServer, type DiscoveryServerNode, type DiscoveryServerOptions } from './node/index.js';
export { discovery, discoveryServer, type DiscoveryApi, type DiscoveryEvents, type DiscoveryInit, type DiscoveryServerApi, type DiscoveryServerEvents, type DiscoveryServerInit, type DiscoveryServerStatus, type DiscoveryEntry, DiscoveryErrorCode } from './discovery/index.js';
export { PlexusError, AbortedError, NotStartedError } from './errors.js';
export { TypedEmitter } from './events.js';
export { SDK_VERSION, AGENT } from './version.js';
export { Identity, deriveNodeId, verifySignature, IdentityFileError } from './identity/index.js';
export { type PeerInfo, type PeerRecord, type BanRecord, type PeerEvents, type DeathReason, InvalidAddressError, PeerNotFoundError, SelfDialError, parseAddress } from './peers/index.js';
export { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, detectionBoundMs, heartbeat, type HeartbeatInit, type HeartbeatApi } from './heartbeat/index.js';
export {
  defineMessage,
  startOrder,
  type Capability,
  type CapabilityContext,
  type CapabilityInstance,
  type MessageDef,
  type BinaryFrameDef,
  type RouteDef,
  type RouteRequest,
  type ApisOf,
  type BodyOf,
} from './capability/index.js';
export { defaultCapabilities, type DefaultCapabilities } from './node/index.js';
export { outbox, Outbox, type OutboxEntry, type OutboxKind, type OutboxInit, type OutboxEvents } from './outbox/index.js';
export {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  MAX_PAYLOAD_BYTES,
  P2P_PATH,
  DialError,
  HandshakeError,
  RemoteError,
  RequestTimeoutError,
  ConnectionClosedError,
  type Envelope,
  type HelloBody,
} from './transport/index.js';
export { Store, StoreCorruptError, StoreVersionError, StoreSaveError, StoreLogCorruptError, StoreLogMismatchError, type Migration, type StoreWarning } from './store/index.js';
export { ApiClient, ApiClientError, NodeNotRunningError, type NodeInfo } from './api/index.js';
export { gossip, gossipId, type GossipApi, type GossipInit, type GossipMessage, type GossipVerdict, type GossipEvents, type GossipStats, type TopicHandler, type MessageStats, InvalidGossipError, TopicTakenError } from './gossip/index.js';
export { contracts, type ContractsApi, type ContractsInit, ContractError, type ContractRecord, type ContractSummary, type CallResult, type ContractEvents, type ChainContractEvent, type ContractRemovedEvent, type ReplicatedContractEvent } from './contracts/index.js';
export { files, type FilesApi, type TransferInit, TransferError, type DownloadProgress, type DownloadStatus, type ShareInfo, type TransferEvents } from './transfer/index.js';
export {
  chat,
  type ChatApi,
  type ChatInit,
  type ChatEvents,
  type ChatMessage,
  type ChatMessageEvent,
  type ChatMarkEvent,
  type ChatSyncEvent,
  type ChatRoom,
  type ChatKey,
  type Conversation,
  type DirectMessage,
  type DirectEnvelope,
  type DirectReceipt,
  chatMessageId,
  verifyChatMessage,
  InvalidChatMessageError,
  ChatRequestError,
} from './chat/index.js';
export { pex, type PexApi, type PeerExchangeInit, type PexEvents, type KnownAddress, type KnownState, type ExchangeResult, type AddrEntry } from './pex/index.js';
export {
  chain,
  type ChainApi,
  type ChainEvents,
  type ChainHead,
  type ChainContract,
  type Receipt,
  type ChainInit,
  type MiningMode,
  type TxStatus,
  type BlockSummary,
  type Block,
  type BlockHeader,
  type Transaction,
  type Account,
  BlockRejectedError,
  TxRejectedError,
  signTx,
  verifyTx,
  txHash,
  txSigningPayload,
} from './chain/index.js';
export {
  TypedApiClient,
  type ApiEvent,
  type ApiEventMap,
  type ApiEventName,
  type ContractEventPayload,
  type ChainCallResult,
  type ChainContractSummary,
  type ChainContractView,
  type ChainDeployResult,
  type ContractView,
  type ReplicatedContractView,
  type TxConfirmedEvent,
} from './client/typed-client.js';
