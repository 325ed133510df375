/**
 * Governance: membership, keys, the purpose, indication and incident-category catalogues, approval
 * policy and the liability weighting, each through the
 * AccessManager — scheduled first, executed after the delay. Policy thresholds are set here too:
 * a regulator sets them by holding the governance role for ModelRegistry.setPolicy.
 */
import type { Signer } from "ethers";
import type { LedgerContracts } from "../deploy";
import { domain } from "../../core";
import { sendWrite, eventNamed, type WriteResult } from "../tx";
import { LIABILITY_CASES, RISK_CLASSES, ROLES } from "../../constants";
import { InputError } from "../../core";

export interface GovernedCall {
  target: string;
  data: string;
  description: string;
}

export interface Policy {
  minAuc: number;
  maxSubgroupAucGap: number;
  minBiasTestCases: number;
  minGrassrootsShare: number;
  /** Approval needs the algorithm safety white paper on file. */
  requiresWhitePaper: boolean;
  /** Approval needs liability insurance whose coverage holds at the approving block. */
  requiresInsurance: boolean;
}

/** Liability shares in basis points (sum 10,000), in the on-chain Shares order. */
export interface Shares {
  developer: number;
  hospital: number;
  clinician: number;
}

function indexOfName(names: readonly string[], value: string, what: string): number {
  const i = names.indexOf(value);
  if (i <= 0) throw new InputError("GOVERNANCE_BAD_ARGUMENT", `${what} must be one of ${names.slice(1).join(", ")}, got "${value}"`);
  return i;
}

/** Encoders for every governed call; pure. */
export function governedCalls(ledger: LedgerContracts) {
  const c = ledger.consortium.interface;
  const call = (target: string, data: string, description: string): GovernedCall => ({ target, data, description });
  const [consortium, consents, models, incidents] = [ledger.consortium.target as string, ledger.consents.target as string, ledger.models.target as string, ledger.incidents.target as string];
  return {
    admitMember: (name: string, role: string, keys: string[]) => call(consortium, c.encodeFunctionData("admitMember", [name, indexOfName(ROLES, role, "role"), keys]), `admit ${role} "${name}"`),
    removeMember: (orgId: number) => call(consortium, c.encodeFunctionData("removeMember", [orgId]), `remove organisation ${orgId}`),
    suspendMember: (orgId: number) => call(consortium, c.encodeFunctionData("suspendMember", [orgId]), `suspend organisation ${orgId}`),
    reinstateMember: (orgId: number) => call(consortium, c.encodeFunctionData("reinstateMember", [orgId]), `reinstate organisation ${orgId}`),
    addKey: (orgId: number, key: string) => call(consortium, c.encodeFunctionData("addKey", [orgId, key]), `add key ${key} to organisation ${orgId}`),
    revokeKey: (key: string) => call(consortium, c.encodeFunctionData("revokeKey", [key]), `revoke key ${key}`),
    addPurpose: (name: string) => call(consents, ledger.consents.interface.encodeFunctionData("addPurpose", [name]), `add purpose ${name}`),
    setPolicy: (risk: string, p: Policy) => call(models, ledger.models.interface.encodeFunctionData("setPolicy", [indexOfName(RISK_CLASSES, risk, "risk class"), p]), `set ${risk} policy`),
    addIndication: (name: string) => call(models, ledger.models.interface.encodeFunctionData("addIndication", [name]), `add indication ${name}`),
    addIncidentCategory: (name: string) => call(incidents, ledger.incidents.interface.encodeFunctionData("addCategory", [name]), `add incident category ${name}`),
    setWeighting: (liabilityCase: string, s: Shares) =>
      call(incidents, ledger.incidents.interface.encodeFunctionData("setWeighting", [indexOfName(LIABILITY_CASES, liabilityCase, "liability case"), s]), `set ${liabilityCase} weighting to developer ${s.developer} / hospital ${s.hospital} / clinician ${s.clinician} bps`),
  };
}

export class Governance {
  readonly calls: ReturnType<typeof governedCalls>;

  constructor(
    private readonly ledger: LedgerContracts,
    private readonly signer: Signer,
  ) {
    this.calls = governedCalls(ledger);
  }

  /** Schedules a call; it may be executed once `readyAt` (unix seconds) has passed. */
  async schedule(call: GovernedCall): Promise<WriteResult & { operationId: string; readyAt: number }> {
    const m = this.ledger.manager.connect(this.signer);
    const sent = await sendWrite(m, () => m.schedule(call.target, call.data, 0));
    const e = eventNamed(sent, "OperationScheduled");
    return { ...sent, operationId: e.args.operationId, readyAt: Number(e.args.schedule) };
  }

  /** Executes a scheduled call after its delay. */
  execute(call: GovernedCall): Promise<WriteResult> {
    const m = this.ledger.manager.connect(this.signer);
    return sendWrite(m, () => m.execute(call.target, call.data));
  }

  /** When a scheduled call becomes executable (0: not scheduled). */
  async readyAt(call: GovernedCall): Promise<number> {
    return domain(async () => {
      const id = await this.ledger.manager.hashOperation(await this.signer.getAddress(), call.target, call.data);
      return Number(await this.ledger.manager.getSchedule(id));
    });
  }
}
