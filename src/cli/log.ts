/**
 * Where log records go and how they look. A log record is never written into a command's own
 * output: logs go to stderr, the command's lines (and --json answers) to stdout. A person at a
 * terminal reads one line per record (pino-pretty); a pipe, a file, --json or a log collector gets
 * one JSON object per line. MEDPROV_LOG_FORMAT=json|pretty overrides the choice.
 */
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "pretty" | "json";

/** Pretty only for a person: the log stream is a terminal, no --json, and no override. Pure. */
export function logFormatFor(o: { isTTY: boolean | undefined; json?: boolean; override?: string }): LogFormat {
  if (o.override === "json" || o.override === "pretty") return o.override;
  return o.isTTY && !o.json ? "pretty" : "json";
}

/** The stream log records are written to: stderr, formatted for whoever reads it. */
export function logStream(o: { json?: boolean } = {}): DestinationStream {
  const format = logFormatFor({ isTTY: process.stderr.isTTY, json: o.json, override: process.env.MEDPROV_LOG_FORMAT });
  // sync: a record is on the terminal before the next line the command prints, and none is lost at exit.
  if (format === "pretty") return pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" });
  return pino.destination({ dest: 2, sync: true });
}

/** Logger options for Fastify (startService): level and the stream above. */
export const serviceLogger = (level: string, o: { json?: boolean } = {}) => ({ level, stream: logStream(o) });

/** A logger for a command (the indexer's progress). */
export const commandLogger = (level: string, o: { json?: boolean } = {}): Logger => pino({ level }, logStream(o));
