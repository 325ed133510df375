/**
 * Who may call what (DESIGN §1, §3). One table, enforced by one preHandler and checked cell by
 * cell by test/api/access.test.ts; docs/access.md states the same table for people.
 */
export const CALLER_KINDS = ["anonymous", "patient", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/**
 * - public: anyone, signed in or not.
 * - members: any active consortium member.
 * - oversight: regulators and auditors.
 * An APPRAISER (issue 18: it records liability determinations on-chain) reads exactly what an
 * auditor reads: wherever AUDITOR is allowed, so is APPRAISER, and nowhere else.
 * - subject: the subject itself or its delegate, hospitals (filtered to what names them), oversight.
 * - hospital: hospitals (filtered to their own), oversight.
 * - verify: anyone signed in.
 */
export type Access = "public" | "members" | "oversight" | "subject" | "hospital" | "verify";

export const ACCESS_RULES: Record<Access, { allowed: readonly CallerKind[]; note: string }> = {
  public: { allowed: CALLER_KINDS, note: "public registry facts: models, versions, statuses, dataset roots, members" },
  members: { allowed: ["HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER"], note: "consortium-internal facts: post-market reports, alerts, dataset uses" },
  oversight: { allowed: ["REGULATOR", "AUDITOR", "APPRAISER"], note: "reports over everyone: impact, fairness" },
  subject: { allowed: ["patient", "HOSPITAL", "REGULATOR", "AUDITOR", "APPRAISER"], note: "a patient sees only their own (and their delegators') consents; a hospital only those that name it or any member" },
  hospital: { allowed: ["HOSPITAL", "REGULATOR", "AUDITOR", "APPRAISER"], note: "a hospital sees only its own batches" },
  verify: { allowed: ["HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "APPRAISER", "patient"], note: "anyone signed in: verifying receipts, reading who they are (GET /auth/me)" },
};

export function allowed(access: Access, kind: CallerKind): boolean {
  return ACCESS_RULES[access].allowed.includes(kind);
}
