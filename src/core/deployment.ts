/**
 * The deployment manifest (`deployments/<network>.json`): where the contracts live and from which
 * block to read them. The indexer and the SDK take addresses only from here.
 */
import { readFileSync } from "node:fs";
import { getAddress, type ContractRunner } from "ethers";
import { FACTORIES } from "./contracts";
import { InputError, jsonParseProblem } from "./errors";
import { parseGenerations, type Generation } from "./generations";
import type {
  AccessManager,
  ConsentRegistry,
  Consortium,
  DatasetRegistry,
  IncidentRegistry,
  ModelRegistry,
  TraceAnchor,
} from "../../typechain-types";

export interface LedgerContracts {
  manager: AccessManager;
  consortium: Consortium;
  consents: ConsentRegistry;
  datasets: DatasetRegistry;
  models: ModelRegistry;
  traces: TraceAnchor;
  incidents: IncidentRegistry;
}

export type ContractName = keyof LedgerContracts;

export interface Deployment {
  chainId: number;
  /**
   * Block that holds the current generation's first deployment transaction. Where the index starts
   * is the first generation's fromBlock (generationsOf(d)[0]; the same block for a one-generation manifest).
   */
  deploymentBlock: number;
  governance: string;
  governanceDelay: number;
  addresses: Record<ContractName, string>;
  versions: Partial<Record<ContractName, string>>;
  /**
   * Every generation, oldest first (src/core/generations.ts); the top-level fields above are the
   * last one's. Absent in manifests written before generations: then the deployment is generation 1.
   */
  generations?: Generation[];
}

export const CONTRACT_NAMES: readonly ContractName[] = ["manager", "consortium", "consents", "datasets", "models", "traces", "incidents"];

/** Checks a parsed manifest and normalises its addresses; throws InputError naming the bad field. */
export function parseDeployment(raw: unknown, source = "deployment"): Deployment {
  const fail = (field: string, why: string): never => {
    throw new InputError("DEPLOYMENT_INVALID", `${source}: ${field} ${why}`, { field });
  };
  if (!raw || typeof raw !== "object") fail("(root)", "must be a JSON object");
  const d = raw as Record<string, unknown>;
  if (!Number.isInteger(d.chainId) || (d.chainId as number) <= 0) fail("chainId", "must be a positive integer");
  if (!Number.isInteger(d.deploymentBlock) || (d.deploymentBlock as number) < 0) fail("deploymentBlock", "must be a block number");
  const addressesOf = (raw: unknown, field: string): Record<ContractName, string> => {
    if (!raw || typeof raw !== "object") fail(field, "must be an object");
    const normalised = {} as Record<ContractName, string>;
    for (const name of CONTRACT_NAMES) {
      try {
        normalised[name] = getAddress(String((raw as Record<string, unknown>)[name]));
      } catch {
        fail(`${field}.${name}`, "must be a contract address");
      }
    }
    return normalised;
  };
  const top = { chainId: d.chainId as number, addresses: addressesOf(d.addresses, "addresses") };
  const generations = d.generations === undefined ? undefined : parseGenerations(d.generations, top, addressesOf, fail as (field: string, why: string) => never);
  if (generations && generations.at(-1)!.fromBlock !== d.deploymentBlock) fail("deploymentBlock", `must be the last generation's fromBlock (${generations.at(-1)!.fromBlock})`);
  return {
    chainId: top.chainId,
    deploymentBlock: d.deploymentBlock as number,
    governance: typeof d.governance === "string" ? d.governance : "",
    governanceDelay: Number(d.governanceDelay ?? 0),
    addresses: top.addresses,
    versions: (d.versions as Deployment["versions"]) ?? {},
    ...(generations ? { generations } : {}),
  };
}

/** Reads and checks a manifest file. */
export function readDeployment(path: string): Deployment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new InputError("DEPLOYMENT_NOT_FOUND", `cannot read deployment manifest ${path}; deploy first or pass --deployment`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError("DEPLOYMENT_INVALID", `${path} is not valid JSON: ${jsonParseProblem(e)}`);
  }
  return parseDeployment(raw, path);
}

/** TypeChain clients for every contract of a deployment. */
export function connectLedger(deployment: Deployment, runner: ContractRunner): LedgerContracts {
  return Object.fromEntries(CONTRACT_NAMES.map((name) => [name, FACTORIES[name].connect(deployment.addresses[name], runner)])) as unknown as LedgerContracts;
}
