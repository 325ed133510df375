/**
 * The embedded chain `npm start` runs: anvil behind a journalled JSON-RPC front. Durability is
 * reached explicitly (DESIGN §5): a write is answered only once the journal holds it on disk; the
 * state is dumped to a file written aside and renamed (every `dumpEveryMs` while writes arrive,
 * and at stop); a start loads the newest state file and replays the journal after it. So a kill,
 * a Ctrl-C or a power cut at any instant loses nothing a client was answered, and never leaves a
 * half-written state file.
 */
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { MedprovError } from "../core";
import { startAnvil } from "./anvil";
import { createFront } from "./front";
import { ChainJournal } from "./journal";
import { replayJournal, type ReplayReport } from "./replay";
import { rpcCall } from "./rpc";
import { pickState, removePartials, stateFiles, writeState } from "./state-files";

export { methodKind, type MethodKind } from "./methods";
export { pickState, stateFiles, LEGACY_STATE } from "./state-files";
export { alive, anvilBinary } from "./anvil";

export interface EmbeddedChainOptions {
  /** Directory for the journal, state files and pid file. */
  dir: string;
  host?: string;
  port: number;
  chainId: number;
  mnemonic: string;
  dumpEveryMs?: number;
  /**
   * A block is mined when the head is this old (seconds; 0: never), as a consortium chain's
   * validators make empty blocks: "now" is the head's time, and an idle demo chain would otherwise
   * stay behind the clock, so a patient's signed consent, whose deadline is counted from it, would
   * expire before it is relayed. Default 30.
   */
  heartbeatSeconds?: number;
  /** Progress of a replay, and anything worth a line in the log. */
  log?: (line: string) => void;
}

export interface EmbeddedChain {
  url: string;
  replayed: ReplayReport;
  /** Writes a state file now (holding every journalled write). */
  dump(): Promise<void>;
  /** Dumps, stops anvil and waits for its process to exit; safe to call twice. */
  stop(): Promise<void>;
}

async function listen(server: import("node:http").Server, host: string, port: number): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, "listening");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") {
      throw new MedprovError("CHAIN_PORT_IN_USE", `port ${port} is already in use (another node, or another npm start?): stop it, choose another port with --chain-port <port>, or attach to that node with --rpc <url>`);
    }
    throw new MedprovError("CHAIN_PORT", `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
}

export async function startEmbeddedChain(o: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const log = o.log ?? (() => undefined);
  const host = o.host ?? "127.0.0.1";
  mkdirSync(o.dir, { recursive: true });
  removePartials(o.dir);
  const journal = await ChainJournal.open(join(o.dir, "chain-journal"));
  let anvil: Awaited<ReturnType<typeof startAnvil>> | undefined;
  let front: ReturnType<typeof createFront> | undefined;
  try {
    // The public port is taken first, so a port in use fails before anything starts or is sent.
    front = createFront(journal, (e) => log(`embedded chain: ${e.message}`));
    const { state, damaged } = pickState(o.dir);
    for (const d of damaged) log(`embedded chain: ${d} is damaged; starting from an older state file`);
    await listen(front.server, host, o.port);
    anvil = await startAnvil({ chainId: o.chainId, mnemonic: o.mnemonic, loadState: state?.path, pidFile: join(o.dir, "chain.pid") });
    const pending = journal.lastSeq - (state?.seq ?? 0);
    if (pending > 0) log(`embedded chain: replaying ${pending} journalled writes after ${state ? state.path : "genesis"}`);
    const replayed = await replayJournal(anvil.url, journal, state?.seq ?? 0, (n) => log(`embedded chain: replayed ${n}/${pending}`));
    if (replayed.diverged.length > 0) log(`embedded chain: ${replayed.diverged.length} replayed blocks differ from the first run (from block ${replayed.diverged[0]}); an index of them will be rolled back`);
    const chain = running(o, journal, anvil, front, replayed, state?.seq ?? 0, log);
    // A fresh chain's genesis takes the wall clock: keep it, or a replay could not rebuild the same
    // blocks. Block 1 is mined first: anvil prices the first block after a load from its parent, but
    // a fresh chain's block 1 at the initial base fee, so a replay onto genesis would differ from it.
    if (!state) {
      await rpcCall(anvil.url, "evm_mine", []);
      await chain.dump();
    }
    front.open(anvil.url);
    return chain;
  } catch (e) {
    await front?.close().catch(() => undefined);
    await anvil?.stop().catch(() => undefined);
    await journal.close().catch(() => undefined);
    throw e;
  }
}

/** Heartbeat blocks journalled before an idle chain's state is dumped anyway (each dump writes the whole state). */
const HEARTBEATS_PER_DUMP = 120;

function running(o: EmbeddedChainOptions, journal: ChainJournal, anvil: Awaited<ReturnType<typeof startAnvil>>, front: ReturnType<typeof createFront>, replayed: ReplayReport, startSeq: number, log: (l: string) => void): EmbeddedChain {
  let dumped = startSeq;
  let heartbeats = 0; // journalled since the last dump
  // Heartbeats alone do not make a dump worth its cost (megabytes a time); a client's write does.
  const due = () => journal.lastSeq - dumped > heartbeats || heartbeats >= HEARTBEATS_PER_DUMP;
  const dump = (o2: { force?: boolean } = {}) =>
    front.exclusive(async () => {
      if (!(o2.force ? journal.lastSeq !== dumped : due()) && stateFiles(o.dir).length > 0) return;
      const hex = await rpcCall<string>(anvil.url, "anvil_dumpState", []);
      const seq = journal.lastSeq;
      const kept = writeState(o.dir, seq, gunzipSync(Buffer.from(hex.slice(2), "hex")));
      if (kept[1]) await journal.truncate(kept[1].seq);
      dumped = seq;
      heartbeats = 0;
    });
  const timer = setInterval(() => void dump().catch((e: Error) => log(`embedded chain: state dump failed (the journal still holds every write): ${e.message}`)), o.dumpEveryMs ?? 15_000);
  timer.unref();
  const beat = o.heartbeatSeconds ?? 30;
  const heart = beat > 0 ? setInterval(() => void front.heartbeat(beat, Math.floor(Date.now() / 1000), () => void heartbeats++).catch((e: Error) => log(`embedded chain: heartbeat block failed: ${e.message}`)), Math.max(1000, (beat * 1000) / 6)) : undefined;
  heart?.unref();
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${o.host ?? "127.0.0.1"}:${o.port}`,
    replayed,
    dump: () => dump({ force: true }),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(timer);
        clearInterval(heart);
        await front.close();
        // anvil may already be gone or going (a terminal's Ctrl-C reaches the whole process group);
        // then the next start replays the journal, which holds every write: nothing to report.
        if (anvil.child.exitCode === null && anvil.child.signalCode === null) await dump({ force: true }).catch(() => undefined);
        await anvil.stop();
        await journal.close();
      })()),
  };
}
