/** The sandbox acquirers' public surface, for the embedded launcher, tests and benchmarks. */
export { startSandboxAcquirer, type RunningSandbox, type SandboxAdmin, type SandboxOptions } from './server.ts';
export { startSandboxFleet, type FleetOptions, type SandboxFleet } from './fleet.ts';
export { generateSandboxCredentials, type SandboxCredentials } from './credentials.ts';
export { DEFAULT_BEHAVIOUR, type Behaviour, type BehaviourPatch, type LatencyDistribution } from './behaviour.ts';
export type { Journal, JournalEntry, PaymentEntry, RefundEntry } from './journal.ts';
export type { AppliedDiscrepancy, StatementFile } from './statement.ts';
