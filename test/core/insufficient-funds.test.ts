/**
 * A write from a key that cannot pay gas (a patient's key relaying their own signed revocation, an
 * unfunded hospital key) is a named refusal in one line, not ethers' dump of the raw transaction
 * (found by a new-user trial: `medprov --as patient-7 consent relay revoke.json` printed
 * "insufficient funds for intrinsic transaction cost (transaction=\"0x02f9…\", info=…)" [UNEXPECTED]).
 */
import { describe, expect, it } from "vitest";
import { Wallet, makeError } from "ethers";
import { MedprovError, toDomainError } from "../../src/core/errors";
import { ERROR_CATALOGUE } from "../../src/api/errors";

const wallet = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690e");

/** What ethers v6's JsonRpcProvider throws when the node answers -32003 to a raw transaction. */
async function nodeRefusal() {
  const raw = await wallet.signTransaction({ to: wallet.address, chainId: 31337, nonce: 0, gasLimit: 21000, maxFeePerGas: 1_000_000_000n, maxPriorityFeePerGas: 1n, type: 2 });
  return makeError("insufficient funds for intrinsic transaction cost", "INSUFFICIENT_FUNDS", {
    transaction: raw as never,
    info: { error: { code: -32003, message: "Insufficient funds for gas * price + value" } },
  });
}

describe("a write the signing key cannot pay for", () => {
  it("is INSUFFICIENT_FUNDS naming the account, on one line, without the raw transaction", async () => {
    const e = toDomainError(await nodeRefusal());
    expect(e).toBeInstanceOf(MedprovError);
    expect((e as MedprovError).code).toBe("INSUFFICIENT_FUNDS");
    expect((e as MedprovError).retryable).toBe(false);
    expect(e.message).toContain(wallet.address);
    expect(e.message).toMatch(/relay/);
    expect(e.message).not.toContain("0x02f");
    expect(e.message).not.toContain("\n");
  });

  it("names no account when ethers gives no transaction, and is still one line", () => {
    const e = toDomainError(makeError("insufficient funds", "INSUFFICIENT_FUNDS", { transaction: {} as never }));
    expect((e as MedprovError).code).toBe("INSUFFICIENT_FUNDS");
    expect(e.message).toMatch(/^the signing key cannot pay/);
  });

  it("is in the API's catalogue as a fault of the server's configuration (its relayer key), never the caller's", () => {
    expect(ERROR_CATALOGUE).toHaveProperty("INSUFFICIENT_FUNDS");
    expect((ERROR_CATALOGUE as Record<string, { status: number }>).INSUFFICIENT_FUNDS.status).toBe(500);
  });
});
