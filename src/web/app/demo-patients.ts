/** Finding a demo patient by what a person types: a number, a name, an MRN or an address. Pure. */
import type { DemoIdentity } from "../../demo/identity";

/**
 * The demo patient `query` names: "7", "patient-7", "MRN-100007" or the address (any case); a
 * prefix of an address of at least 6 characters when it names one patient only. Undefined otherwise.
 */
export function findDemoPatient(patients: DemoIdentity[], query: string): DemoIdentity | undefined {
  const q = query.trim().toLowerCase();
  if (!q) return undefined;
  const exact = patients.find((p) => p.name.toLowerCase() === q || p.name.toLowerCase() === `patient-${q}` || p.mrn?.toLowerCase() === q || p.address.toLowerCase() === q);
  if (exact) return exact;
  if (!/^0x[0-9a-f]{4,}$/.test(q)) return undefined;
  const byPrefix = patients.filter((p) => p.address.toLowerCase().startsWith(q));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}
