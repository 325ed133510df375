/**
 * What a third party needs to check a medprov receipt: only @openzeppelin/merkle-tree, ethers and
 * an RPC URL. Deliberately imports nothing from medprov (docs/receipt.md shows the same code).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Contract, JsonRpcProvider } from "ethers";

export async function verifyReceiptIndependently(receipt: {
  chainId: number;
  traceAnchor: string;
  batchId: string;
  fields: string[];
  leafEncoding: string[];
  record: Record<string, unknown>;
  proof: string[];
}, rpcUrl: string): Promise<boolean> {
  const provider = new JsonRpcProvider(rpcUrl, receipt.chainId, { staticNetwork: true });
  try {
    const anchor = new Contract(receipt.traceAnchor, ["function batchRoot(bytes32) view returns (bytes32)"], provider);
    const root: string = await anchor.batchRoot(receipt.batchId);
    if (/^0x0{64}$/.test(root)) return false;
    const values = receipt.fields.map((f) => receipt.record[f]);
    return StandardMerkleTree.verify(root, receipt.leafEncoding, values, receipt.proof);
  } finally {
    provider.destroy();
  }
}
