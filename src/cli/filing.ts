/**
 * Filing-evidence flags of `medprov model version` and `medprov model evidence`: the developer names
 * its documents, medprov hashes them (only the hashes go on-chain) and reads the coverage period.
 */
import { readFileSync } from "node:fs";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Command } from "commander";
import { InputError, type FilingInput } from "../sdk";

/** Adds the flags to a command. */
export function filingOptions(c: Command): Command {
  return c
    .option("--white-paper <file>", "the algorithm safety white paper (its hash is filed)")
    .option("--insurer <name>", "the liability insurer's name (its hash is filed)")
    .option("--insurance-policy <file>", "the liability insurance policy document (its hash is filed)")
    .option("--coverage-start <time>", "insurance coverage start: ISO date or unix seconds")
    .option("--coverage-end <time>", "insurance coverage end (inclusive): ISO date or unix seconds");
}

export interface FilingFlags {
  whitePaper?: string;
  insurer?: string;
  insurancePolicy?: string;
  coverageStart?: string;
  coverageEnd?: string;
}

function fileHash(path: string, flag: string): string {
  try {
    return keccak256(readFileSync(path));
  } catch {
    throw new InputError("FILING_FILE_UNREADABLE", `${flag} ${path} cannot be read`, { field: flag });
  }
}

/** Unix seconds from an ISO date or unix seconds. */
export function timeArg(value: string, flag: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InputError("FILING_BAD_TIME", `${flag} "${value}" must be an ISO date or unix seconds`, { field: flag });
  return Math.floor(t / 1000);
}

/** The filing input the flags describe; insurance needs all four of its flags or none. */
export function filingFromFlags(o: FilingFlags): FilingInput {
  const out: FilingInput = {};
  if (o.whitePaper !== undefined) out.whitePaperHash = fileHash(o.whitePaper, "--white-paper");
  const insurance = [o.insurer, o.insurancePolicy, o.coverageStart, o.coverageEnd];
  if (insurance.some((v) => v !== undefined)) {
    if (insurance.some((v) => v === undefined)) {
      throw new InputError("FILING_INCOMPLETE_INSURANCE", "insurance needs --insurer, --insurance-policy, --coverage-start and --coverage-end together");
    }
    out.insurance = {
      insurerHash: keccak256(toUtf8Bytes(o.insurer!)),
      policyHash: fileHash(o.insurancePolicy!, "--insurance-policy"),
      coverageStart: timeArg(o.coverageStart!, "--coverage-start"),
      coverageEnd: timeArg(o.coverageEnd!, "--coverage-end"),
    };
  }
  return out;
}
