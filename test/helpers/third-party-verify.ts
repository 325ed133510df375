/**
 * The receipt verifier of docs/receipt.md, taken from the document itself: the code block after
 * the "normative verifier" marker is written to a file and imported, so what the suite runs is
 * exactly what a third party reads (the documentation cannot drift). It imports only ethers. The file lives under .doc-verifier/ at the repository root (ignored
 * by git and outside the type-checked folders), named by its content's hash so parallel test
 * files share it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider, type Provider } from "ethers";

const ROOT = join(__dirname, "..", "..");
const MARKER = "<!-- normative verifier: extracted and run by test/helpers/third-party-verify.ts -->";

export interface DocManifest {
  chainId: number;
  deploymentBlock: number;
  addresses: { traces: string; models: string };
}
export interface DocVerdict {
  valid: boolean;
  reasons: string[];
  skipped: string[];
}
export interface DocVerifier {
  verifyReceipt(receipt: unknown, provider: Provider, manifest: DocManifest): Promise<DocVerdict>;
  wellFormed(receipt: unknown): boolean;
}

/** The TypeScript block right after the marker in docs/receipt.md. */
export function extractVerifierSource(markdown = readFileSync(join(ROOT, "docs", "receipt.md"), "utf8")): string {
  const at = markdown.indexOf(MARKER);
  if (at < 0) throw new Error("docs/receipt.md has no normative verifier marker");
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(markdown.slice(at + MARKER.length));
  if (!block || markdown.slice(at + MARKER.length, at + MARKER.length + block.index).trim() !== "") throw new Error("the normative verifier marker is not followed by a ```ts block");
  return block[1];
}

let loaded: Promise<DocVerifier> | undefined;
/** Imports the document's verifier (once per test file). */
export function docVerifier(): Promise<DocVerifier> {
  loaded ??= (async () => {
    const source = extractVerifierSource();
    const dir = join(ROOT, ".doc-verifier");
    const file = join(dir, `receipt-verifier-${createHash("sha256").update(source).digest("hex").slice(0, 16)}.ts`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, source);
      renameSync(tmp, file);
    }
    return (await import(file)) as DocVerifier;
  })();
  return loaded;
}

/** The document's verdict on a receipt, over a fresh JSON-RPC connection (as a third party would). */
export async function verifyReceiptIndependently(receipt: unknown, rpcUrl: string, manifest: DocManifest): Promise<boolean> {
  const { verifyReceipt } = await docVerifier();
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: false });
  try {
    return (await verifyReceipt(receipt, provider, manifest)).valid;
  } finally {
    provider.destroy();
  }
}
