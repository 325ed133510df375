/**
 * Who may call what (DESIGN §1, §3). One table, enforced by one preHandler and checked cell by
 * cell by test/api.test.ts; docs/access.md states the same table for people.
 */
export const CALLER_KINDS = ["anonymous", "patient", "HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR"] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/**
 * - public: anyone, signed in or not.
 * - members: any active consortium member.
 * - oversight: regulators and auditors.
 * - subject: the subject itself or its delegate, hospitals (filtered to what names them), oversight.
 * - hospital: hospitals (filtered to their own), oversight.
 * - verify: anyone signed in.
 */
export type Access = "public" | "members" | "oversight" | "subject" | "hospital" | "verify";

export const ACCESS_RULES: Record<Access, { allowed: readonly CallerKind[]; note: string }> = {
  public: { allowed: CALLER_KINDS, note: "public registry facts: models, versions, statuses, dataset roots, members" },
  members: { allowed: ["HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR"], note: "consortium-internal facts: post-market reports, alerts, dataset uses" },
  oversight: { allowed: ["REGULATOR", "AUDITOR"], note: "reports over everyone: impact, fairness" },
  subject: { allowed: ["patient", "HOSPITAL", "REGULATOR", "AUDITOR"], note: "a patient sees only their own (and their delegators') consents; a hospital only those that name it or any member" },
  hospital: { allowed: ["HOSPITAL", "REGULATOR", "AUDITOR"], note: "a hospital sees only its own batches" },
  verify: { allowed: ["HOSPITAL", "MODEL_DEVELOPER", "REGULATOR", "AUDITOR", "patient"], note: "anyone signed in: verifying receipts, reading who they are (GET /auth/me)" },
};

export function allowed(access: Access, kind: CallerKind): boolean {
  return ACCESS_RULES[access].allowed.includes(kind);
}
