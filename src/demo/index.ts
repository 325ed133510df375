/**
 * The local demo: its deterministic accounts and consortium, the seeding plan `npm start` resumes,
 * and the demo identities file (`medprov --as`). Demo-only keys, chain 31337 only. This file is the
 * folder's one door.
 */
export { DEMO_MNEMONIC, DEMO_SIZES, demoAccounts, demoPatient, demoMembers, demoSafeOwners, deployDemo, grantsSeededElsewhere, seedDemo, type DemoAccounts, type DemoSize, type Progress, type SeedResult } from "./seed";
export { DEMO_HOSPITALS, demoPatientSecret, demoPatientHospitals, demoPseudonym, demoMrn } from "./patients";
export { DEMO_CHAIN_ID, DEMO_WARNING, IDENTITIES_FILE, demoIdentities, writeDemoIdentities, readDemoIdentities, pickIdentity, type DemoIdentity, type DemoIdentities } from "./identities";
