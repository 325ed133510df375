/** The banner's export line after `npm start` with other ports, data directory or manifest (src/demo/cli-env.ts). */
import { describe, it, expect } from "vitest";
import { cliExportsLine } from "../../src/demo/cli-env";

describe("npm start's export line", () => {
  it("names every place that differs from the CLI's defaults (identities and manifest too), and nothing when none does", () => {
    expect(cliExportsLine({ MEDPROV_RPC: "http://127.0.0.1:8545", MEDPROV_API: "http://127.0.0.1:8080", MEDPROV_DEPLOYMENT: "./deployments/localhost.json", MEDPROV_IDENTITIES: ".medprov/identities.json" })).toEqual([]);
    const [line] = cliExportsLine({ MEDPROV_RPC: "http://127.0.0.1:18545", MEDPROV_API: "http://127.0.0.1:8080", MEDPROV_DEPLOYMENT: "deployments/other.json", MEDPROV_IDENTITIES: "/tmp/d/identities.json" });
    expect(line).toMatch(/^Not the README's defaults: export MEDPROV_RPC=http:\/\/127\.0\.0\.1:18545 MEDPROV_DEPLOYMENT=deployments\/other\.json MEDPROV_IDENTITIES=\/tmp\/d\/identities\.json {3}\(/);
    // No identities file (npm start -- --no-demo writes none): nothing to export for it.
    expect(cliExportsLine({ MEDPROV_RPC: "http://127.0.0.1:8545", MEDPROV_API: "http://127.0.0.1:8080", MEDPROV_DEPLOYMENT: "deployments/localhost.json" })).toEqual([]);
  });
});
