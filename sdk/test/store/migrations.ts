import { CHAT_MIGRATIONS } from '../../src/chat/index';
import { CONTRACT_MIGRATIONS } from '../../src/contracts/index';
import { OUTBOX_MIGRATIONS } from '../../src/outbox/index';
import { PEER_MIGRATIONS } from '../../src/peers/index';
import { PEX_MIGRATIONS } from '../../src/pex/index';
import { META_MIGRATIONS, type Migration } from '../../src/store/index';
import { TRANSFER_MIGRATIONS } from '../../src/transfer/index';

/** Every migration a node with the default capabilities applies, in the order it applies them. */
export const MIGRATIONS: readonly Migration[] = [
  ...META_MIGRATIONS,
  ...PEER_MIGRATIONS,
  ...OUTBOX_MIGRATIONS,
  ...CONTRACT_MIGRATIONS,
  ...TRANSFER_MIGRATIONS,
  ...PEX_MIGRATIONS,
  ...CHAT_MIGRATIONS,
];
