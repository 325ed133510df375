/**
 * The lineage rule's answer for one dataset, for people: for each use (PARENT, TRAINING, APPROVAL,
 * USE) whether the ledger would allow it now, and if not, why and because of which dataset (itself or
 * an ancestor). One view call per use: DatasetRegistry.usableFor, the rule's only implementation
 * (docs/lineage.md). Reads only; anyone may ask.
 */
import type { LedgerContracts } from "../deploy";
import { LINEAGE_USES, LineageUse, LINEAGE_BLOCKS, nameOf, type LineageUseName } from "../../constants";

export interface LineageAnswer {
  use: LineageUseName;
  allowed: boolean;
  /** NONE when allowed; otherwise the state that blocks it (LINEAGE_BLOCKS name). */
  reason: string;
  /** The dataset carrying the reason (this one, or an ancestor); absent when allowed. */
  blockedBy?: string;
}

export async function datasetLineage(ledger: Pick<LedgerContracts, "datasets">, datasetId: string): Promise<LineageAnswer[]> {
  return Promise.all(
    LINEAGE_USES.map(async (use) => {
      const [reason, blockedBy] = await ledger.datasets.usableFor(datasetId, LineageUse[use]);
      const name = nameOf(LINEAGE_BLOCKS, reason);
      return name === "NONE" ? { use, allowed: true, reason: name } : { use, allowed: false, reason: name, blockedBy: blockedBy.toLowerCase() };
    }),
  );
}
