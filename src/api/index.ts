/** medprov audit API: the one door. */
export { buildApp, type AppOptions } from "./app";
export { createFastify, startService, type ServiceOptions } from "./server";
export { ACCESS_RULES, CALLER_KINDS, allowed, type Access, type CallerKind } from "./access";
export { ApiError, API_ERRORS, ERROR_CATALOGUE, errorReply, type ApiErrorCode } from "./errors";
export { readiness, superviseIndexer, type IndexerHealth, type Readiness } from "./health";
export { createAuth, type AuthOptions, type Caller } from "./auth";
export { API_HELMET_OPTIONS, addSecurityHeaders, helmetHeaders } from "./security-headers";
export { IncidentReceipts, incidentReceiptsDir } from "./incident-receipts";
