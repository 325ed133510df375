/**
 * A governed call sent from a key that may not make it says where governance lives: on the demo and
 * on a consortium it is the governance Safe, whose owners sign a proposal. A new-user trial ran
 * `medprov --as governance policy set …` (the demo's `governance` key only deploys) and
 * `--as regulator`, and got only "… may not schedule or execute this call".
 */
import { describe, expect, it } from "vitest";
import { explain } from "../../src/core/explain";

const caller = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

describe("a governed call from a key without the governance role", () => {
  it.each(["AccessManagerUnauthorizedCall", "AccessManagedUnauthorized"])("%s names the caller and the way: a --propose file the Safe's owners sign", (name) => {
    const sentence = explain(name, [caller]);
    expect(sentence).toContain(caller);
    expect(sentence).toContain("--propose <file>");
    expect(sentence).toContain("governance sign");
    expect(sentence).toContain("docs/consortium.md");
  });
});
