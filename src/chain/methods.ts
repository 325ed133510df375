/**
 * How the journalled front treats each JSON-RPC method. Pure, so the policy is tested without a
 * node: reads pass straight through; writes are applied one at a time and journalled; calls that
 * would rewrite history are refused, because an acknowledged write must stay.
 */
export type MethodKind = "read" | "transaction" | "mine" | "clock" | "state" | "refused";

const READ_PREFIXES = ["eth_get", "net_", "web3_", "debug_", "trace_", "txpool_", "ots_"];
const READS = new Set([
  "eth_call", "eth_estimateGas", "eth_blockNumber", "eth_chainId", "eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory",
  "eth_syncing", "eth_accounts", "eth_coinbase", "eth_mining", "eth_hashrate", "eth_protocolVersion", "eth_blobBaseFee",
  "eth_createAccessList", "eth_simulateV1", "eth_newFilter", "eth_newBlockFilter", "eth_newPendingTransactionFilter",
  "eth_uninstallFilter", "eth_sign", "eth_signTypedData", "eth_signTypedData_v3", "eth_signTypedData_v4", "eth_signTransaction", "personal_sign",
  "anvil_nodeInfo", "anvil_metadata", "hardhat_metadata", "anvil_dumpState", "hardhat_getAutomine", "anvil_getAutomine", "anvil_getIntervalMining",
]);
const TRANSACTIONS = new Set(["eth_sendRawTransaction", "eth_sendTransaction", "anvil_sendUnsignedTransaction"]);
const MINES = new Set(["evm_mine", "anvil_mine", "hardhat_mine"]);
/** Clock moves: replay pins every block's recorded time instead. */
const CLOCKS = new Set(["evm_increaseTime", "anvil_increaseTime", "evm_setNextBlockTimestamp", "anvil_setNextBlockTimestamp", "evm_setTime", "anvil_setTime"]);
const REFUSED = new Set([
  "evm_snapshot", "evm_revert", "anvil_snapshot", "anvil_revert", "anvil_reset", "hardhat_reset", "anvil_loadState", "anvil_rollback",
  "anvil_reorg", "anvil_dropTransaction", "anvil_dropAllTransactions", "anvil_removePoolTransactions", "evm_setAutomine", "anvil_setAutomine",
  "evm_setIntervalMining", "anvil_setIntervalMining",
]);

export function methodKind(method: string): MethodKind {
  if (READS.has(method) || READ_PREFIXES.some((p) => method.startsWith(p))) return "read";
  if (TRANSACTIONS.has(method)) return "transaction";
  if (MINES.has(method)) return "mine";
  if (CLOCKS.has(method)) return "clock";
  if (REFUSED.has(method)) return "refused";
  return "state";
}
