import { PlexusError } from '../errors.js';

/**
 * A contract call or deploy failed. `code` says why:
 * CONTRACT_OUT_OF_GAS, CONTRACT_TIMEOUT, CONTRACT_OUT_OF_MEMORY, CONTRACT_STACK_OVERFLOW,
 * CONTRACT_THREW, CONTRACT_INVALID_RESULT, CONTRACT_INVALID_SOURCE, CONTRACT_TOO_LARGE,
 * CONTRACT_FUNCTION_NOT_FOUND, CONTRACT_NOT_FOUND, CONTRACT_INVALID_ARGS.
 * The node and the contract's state are unchanged after any of them.
 */
export class ContractError extends PlexusError {
  /** Gas units the failed call used, when it ran at all (set by the sandbox). */
  gasUsed?: number;
}

export const contractError = {
  outOfGas: (limit: number) => new ContractError('CONTRACT_OUT_OF_GAS', `the call used its whole instruction budget (${limit} gas units)`),
  timeout: (ms: number) => new ContractError('CONTRACT_TIMEOUT', `the call ran past its ${ms} ms deadline`),
  outOfMemory: (bytes: number, detail: string) =>
    new ContractError('CONTRACT_OUT_OF_MEMORY', `the call went over its ${bytes} byte memory limit (${detail})`),
  stackOverflow: () => new ContractError('CONTRACT_STACK_OVERFLOW', 'the call overflowed its stack (recursion too deep)'),
  threw: (name: string, message: string) => new ContractError('CONTRACT_THREW', `the contract threw ${name}: ${message}`),
  invalidResult: (why: string) => new ContractError('CONTRACT_INVALID_RESULT', why),
  invalidSource: (why: string) => new ContractError('CONTRACT_INVALID_SOURCE', why),
  tooLarge: (what: string, bytes: number, limit: number) => new ContractError('CONTRACT_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${limit}`),
  functionNotFound: (name: string, available: string[], why = `no exported function "${name}"`) =>
    new ContractError('CONTRACT_FUNCTION_NOT_FOUND', `${why} (callable: ${available.join(', ') || 'none'})`),
  notFound: (address: string) => new ContractError('CONTRACT_NOT_FOUND', `no contract at ${address}`),
  invalidArgs: (why: string) => new ContractError('CONTRACT_INVALID_ARGS', why),
};

/** A record received from a peer failed verification (hash, signature, address, size, clock). */
export class InvalidContractRecordError extends PlexusError {
  constructor(message: string) {
    super('INVALID_CONTRACT', message);
  }
}
