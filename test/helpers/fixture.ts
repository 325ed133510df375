/**
 * One named fixture for the contract tests: a deployed ledger with a small consortium.
 * Organisation ids are sequential, in admission order: see ORG.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployLedger, type LedgerContracts } from "../../src/sdk/deploy";
import { Role } from "../../src/constants";

export const GOVERNANCE_DELAY = 3600;

/** Organisation ids the fixture creates. */
export const ORG = { HOSPITAL_A: 1, HOSPITAL_B: 2, DEVELOPER: 3, REGULATOR: 4, AUDITOR: 5, HOSPITAL_SUSPENDED: 6, DEVELOPER_B: 7 } as const;

export interface Ledger extends LedgerContracts {
  deployer: HardhatEthersSigner;
  governance: HardhatEthersSigner;
  hospitalA: HardhatEthersSigner;
  hospitalAOld: HardhatEthersSigner; // a revoked key of hospital A
  hospitalB: HardhatEthersSigner;
  developer: HardhatEthersSigner;
  developerB: HardhatEthersSigner;
  regulator: HardhatEthersSigner;
  auditor: HardhatEthersSigner;
  suspendedHospital: HardhatEthersSigner;
  patient: HardhatEthersSigner;
  patient2: HardhatEthersSigner;
  guardian: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  spare: HardhatEthersSigner[];
  /** Schedules governance calls, waits out the delay and executes them, in order. */
  govern(...calls: { target: { getAddress(): Promise<string> }; data: string }[]): Promise<void>;
}

export async function ledgerFixture(): Promise<Ledger> {
  const s = await hre.ethers.getSigners();
  const [deployer, governance, hospitalA, hospitalAOld, hospitalB, developer, developerB, regulator, auditor, suspendedHospital, patient, patient2, guardian, outsider, ...spare] = s;
  const { contracts } = await deployLedger(deployer, { governance: governance.address, governanceDelay: GOVERNANCE_DELAY });
  const { manager, consortium } = contracts;

  const govern: Ledger["govern"] = async (...calls) => {
    const resolved = await Promise.all(calls.map(async (c) => ({ target: await c.target.getAddress(), data: c.data })));
    for (const c of resolved) await (await manager.connect(governance).schedule(c.target, c.data, 0)).wait();
    await time.increase(GOVERNANCE_DELAY);
    for (const c of resolved) await (await manager.connect(governance).execute(c.target, c.data)).wait();
  };
  const admit = (name: string, role: number, keys: string[]) => ({ target: consortium, data: consortium.interface.encodeFunctionData("admitMember", [name, role, keys]) });
  await govern(
    admit("Hospital A", Role.HOSPITAL, [hospitalA.address, hospitalAOld.address]),
    admit("Hospital B", Role.HOSPITAL, [hospitalB.address]),
    admit("Model Developer", Role.MODEL_DEVELOPER, [developer.address]),
    admit("Regulator", Role.REGULATOR, [regulator.address]),
    admit("Auditor", Role.AUDITOR, [auditor.address]),
    admit("Hospital Suspended", Role.HOSPITAL, [suspendedHospital.address]),
    admit("Developer B", Role.MODEL_DEVELOPER, [developerB.address]),
  );
  await (await consortium.connect(hospitalA).revokeKey(hospitalAOld.address)).wait();
  await (await consortium.connect(regulator).suspendMember(ORG.HOSPITAL_SUSPENDED)).wait();

  return {
    ...contracts,
    deployer, governance, hospitalA, hospitalAOld, hospitalB, developer, developerB, regulator, auditor, suspendedHospital,
    patient, patient2, guardian, outsider, spare, govern,
  };
}
