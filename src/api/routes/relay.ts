/** Relaying patients' signed consents with this hospital's key, so patients need no gas. */
import { Hospital, type SignedGrant, type SignedRevoke } from "../../sdk";
import { LIMITS } from "../../constants";
import type { Kit } from "../app";
import { ApiError, errorSchema } from "../errors";
import { parseSignedRequest } from "../inputs";
import * as sch from "../schemas";

const { S } = sch;
const uint = { type: "string", pattern: "^[0-9]{1,78}$" };
const signature = { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" };
const common = { subject: S.address, signer: S.address, purpose: { type: "integer", minimum: 0, maximum: LIMITS.PURPOSE_ID_MAX }, grantee: { type: "integer", minimum: 0, maximum: LIMITS.ORG_ID_MAX }, signedAt: uint, deadline: uint };
const signedBody = {
  oneOf: [
    S.obj({ kind: { const: "grant" }, request: S.obj({ ...common, expiresAt: uint }, ["subject", "signer", "purpose", "grantee", "expiresAt", "signedAt", "deadline"]), signature }, ["kind", "request", "signature"]),
    S.obj({ kind: { const: "revoke" }, request: S.obj(common, ["subject", "signer", "purpose", "grantee", "signedAt", "deadline"]), signature }, ["kind", "request", "signature"]),
  ],
};

export function relayRoutes({ app, o, slowRoute }: Kit): void {
  app.post(
    "/relay",
    slowRoute("public", {
      description: "Relays a patient's signed grant or revocation (a revocation with no grant in force is a cancellation). signedAt and expiresAt must fit uint64, deadline uint256; mixed-case addresses must carry a valid EIP-55 checksum. A grant signed at or before a revocation in force is refused (422 ConsentRegistryGrantRevoked), whenever it is relayed.",
      body: signedBody,
      response: { 200: S.obj({ txHash: S.str, blockNumber: S.int }), 422: errorSchema, 501: errorSchema },
    }, ["consents"]),
    async (req) => {
      if (!o.relayer) throw new ApiError("RELAY_DISABLED", "this server does not relay consents; submit the signed request to a hospital that does");
      const signed = parseSignedRequest(req.body as SignedGrant | SignedRevoke);
      const h = new Hospital(o.ledger, o.relayer);
      const r = signed.kind === "grant" ? await h.relayGrant(signed) : await h.relayRevoke(signed);
      return { txHash: r.txHash, blockNumber: r.blockNumber };
    },
  );
}
