/**
 * The shell blocks of the documentation, as test/readme.test.ts runs them: every ```sh block of
 * README.md (```sh norun excepted) and every ```sh runnable block of docs/*.md, split into
 * commands (one a line; comment lines skipped), each with the exit code its comment announces
 * ("(exits 1)"), 0 otherwise. Pure apart from reading the files.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface DocCommand {
  file: string;
  /** 1-based line in the file. */
  line: number;
  text: string;
  expectedExit: number;
}

export interface DocBlock {
  file: string;
  line: number;
  /** The fence's words after "sh": [], ["norun"] or ["runnable"]. */
  flags: string[];
  commands: DocCommand[];
}

const FENCE = /^```(sh|bash|shell)((?:[ \t]+[\w-]+)*)[ \t]*$/;

/** Every shell block of one markdown text. */
export function shellBlocks(markdown: string, file: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const block: DocBlock = { file, line: i + 1, flags: open[2].trim().split(/\s+/).filter(Boolean), commands: [] };
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) {
      const text = lines[i].trim();
      if (text === "" || text.startsWith("#")) continue;
      const exits = /\(exits (\d+)\)/.exec(text);
      block.commands.push({ file, line: i + 1, text, expectedExit: exits ? Number(exits[1]) : 0 });
    }
    blocks.push(block);
  }
  return blocks;
}

/** The blocks the README test runs, in order: README.md's, then docs/*.md's runnable ones (files in name order). */
export function runnableBlocks(root: string): { run: DocBlock[]; shownOnly: DocBlock[] } {
  const readme = shellBlocks(readFileSync(join(root, "README.md"), "utf8"), "README.md");
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .flatMap((f) => shellBlocks(readFileSync(join(root, "docs", f), "utf8"), `docs/${f}`));
  return {
    run: [...readme.filter((b) => !b.flags.includes("norun")), ...docs.filter((b) => b.flags.includes("runnable"))],
    shownOnly: readme.filter((b) => b.flags.includes("norun")),
  };
}
