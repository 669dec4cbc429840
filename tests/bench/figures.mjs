// The benchmark figures of one run, gathered into one JSON file per commit, and the README's
// table made from such a file.
//
//   node tests/bench/figures.mjs gather LINES COMMIT > target/figures/figures-COMMIT.json
//   node tests/bench/figures.mjs table FILE README.md    rewrites the table between its markers
//   node tests/bench/figures.mjs compare OLD NEW         each figure of two runs side by side
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

const [command, ...args] = process.argv.slice(2);
const BEGIN = "<!-- figures:begin -->";
const END = "<!-- figures:end -->";

function gather(linesPath, commit) {
  const figures = readFileSync(linesPath, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
  const run = { commit, date: new Date().toISOString(), machine: `${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}`, figures };
  process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
}

const number = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en") : v.toFixed(2));
const verdict = (f) => (f.met === null || f.met === undefined ? "" : f.met ? "met" : "**missed**");
const cell = (s) => String(s).replaceAll("|", "\\|");

function table(path, readme) {
  const run = JSON.parse(readFileSync(path, "utf8"));
  const rows = [
    `Run ${run.commit}, ${run.date.slice(0, 10)}, ${run.machine}; made by \`./tests/dev.sh bench\` from \`target/figures/figures-${run.commit}.json\`.`,
    "",
    "| group | figure | measured | reference | target | |",
    "|---|---|---|---|---|---|",
    ...run.figures.map((f) => `| ${cell(f.group)} | ${cell(f.name)} | ${number(f.value)} ${cell(f.unit)} | ${cell(f.reference)} | ${cell(f.target)} | ${verdict(f)} |`),
  ];
  const text = readFileSync(readme, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${readme} has no ${BEGIN} … ${END} markers`);
  writeFileSync(readme, `${text.slice(0, start + BEGIN.length)}\n${rows.join("\n")}\n${text.slice(end)}`);
}

function compare(oldPath, newPath) {
  const [a, b] = [oldPath, newPath].map((p) => JSON.parse(readFileSync(p, "utf8")));
  const key = (f) => `${f.group} · ${f.name}`;
  const before = new Map(a.figures.map((f) => [key(f), f]));
  console.log(`${a.commit} → ${b.commit}`);
  for (const f of b.figures) {
    const old = before.get(key(f));
    console.log(`${key(f)}: ${old ? number(old.value) : "—"} → ${number(f.value)} ${f.unit} ${verdict(f)}`);
  }
}

if (command === "gather") gather(args[0], args[1]);
else if (command === "table") table(args[0], args[1]);
else if (command === "compare") compare(args[0], args[1]);
else {
  console.error("usage: figures.mjs gather LINES COMMIT | table FILE README | compare OLD NEW");
  process.exit(2);
}
