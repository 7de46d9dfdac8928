// The peer of scripts/bench --peer: PouchDB 9 replicating the same records as
// Dala's sync benchmark (section B of docs/BENCHMARKS.md), on the same
// machine, in the same run.
//
//   node peer.mjs --modules DIR --docs FILE.jsonl --work DIR
//                 [--batches 100,500] [--runs N] [--noop-runs N]
//                 [--changes N] [--change-runs N] [--new-percent P]
//
// --modules is where `npm ci` put pouchdb-node, express-pouchdb and express
// (build/peer); --docs holds one JSON document per line, {"_id", answers...}
// (tests/bench/bench_gen --answers-jsonl: one document per Dala revision).
//
// Three kinds of process, so that each one's peak RSS and CPU are its own:
//  - a loader fills the local PouchDB (LevelDB) from --docs, once, untimed;
//  - for every first replication a fresh server: express + express-pouchdb
//    (LevelDB) on 127.0.0.1, port 0, in its own data directory. It counts
//    requests, and the bytes read and written on its sockets (HTTP headers
//    included): the wire bytes;
//  - for every first replication a fresh client, which replicates the local
//    database to the server (PouchDB.replicate, batch_size B) and reports the
//    wall time of replicate() and its own peak RSS (resourceUsage().maxRSS).
// After the last first replication (of the last batch size) the same client
// replicates again with nothing new (--noop-runs times), then --change-runs
// times: changes --changes documents locally (untimed; (100 - P)% edits of
// existing documents, a new queue length and a note, P% new documents, as
// bench_gen --append does on Dala's side) and times the replication.
//
// This process only orchestrates (the server's counters are read before and
// after every phase) and prints one JSON object on stdout.

import { fork } from "node:child_process";
import { createReadStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import crypto from "node:crypto";

const SELF = fileURLToPath(import.meta.url);

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; ++i) {
    if (!argv[i].startsWith("--")) throw new Error(`peer: unexpected argument ${argv[i]}`);
    const k = argv[i].slice(2);
    const v = i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : "1";
    o[k] = v;
  }
  return o;
}
const opt = args(process.argv.slice(2));
const modules = path.resolve(opt.modules || path.join(path.dirname(SELF), "../../../build/peer"));
const requireFrom = createRequire(path.join(modules, "package.json"));

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
function maxRssKb() {
  return process.resourceUsage().maxRSS;  // kilobytes
}

// Replies to {id, op, ...} messages from the parent with {id, result | error}.
function serveOps(handlers) {
  process.on("message", async (m) => {
    try {
      const result = await handlers[m.op](m);
      process.send({ id: m.id, result });
    } catch (e) {
      process.send({ id: m.id, error: String(e && e.stack || e) });
    }
  });
}

// A child process and a way to call its ops.
function spawnChild(role, extra, cwd) {
  const child = fork(SELF, ["--modules", modules, "--role", role, ...extra], {
    cwd, stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  let next = 1;
  const waiting = new Map();
  let firstMessage;
  const ready = new Promise((resolve, reject) => {
    firstMessage = resolve;
    child.once("exit", (code) => reject(new Error(`peer: the ${role} exited (${code}) before it was ready`)));
  });
  child.on("message", (m) => {
    if (m.ready) return firstMessage(m);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`peer: the ${role}: ${m.error}`));
    else w.resolve(m.result);
  });
  child.on("exit", (code) => {
    for (const w of waiting.values()) w.reject(new Error(`peer: the ${role} exited (${code})`));
    waiting.clear();
  });
  return {
    child,
    ready,
    call(op, params = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ id, op, ...params });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

// --- the server ------------------------------------------------------------------------
async function server() {
  const express = requireFrom("express");
  const expressPouchDB = requireFrom("express-pouchdb");
  const PouchDB = requireFrom("pouchdb-node");
  const dir = path.resolve(opt.data);
  mkdirSync(dir, { recursive: true });
  const app = express();
  let requests = 0;
  app.use((req, res, next) => { ++requests; next(); });
  app.use("/", expressPouchDB(PouchDB.defaults({ prefix: dir + "/" }), {
    mode: "minimumForPouchDB", inMemoryConfig: true, logPath: path.join(dir, "log.txt"),
  }));
  const live = new Set();
  let closedRead = 0, closedWritten = 0;
  const http = app.listen(0, "127.0.0.1", () => process.send({ ready: true, port: http.address().port }));
  http.keepAliveTimeout = 60000;
  http.on("connection", (s) => {
    live.add(s);
    s.on("close", () => { closedRead += s.bytesRead; closedWritten += s.bytesWritten; live.delete(s); });
  });
  serveOps({
    stats() {
      let read = closedRead, written = closedWritten;
      for (const s of live) { read += s.bytesRead; written += s.bytesWritten; }
      return { requests, bytes_read: read, bytes_written: written, connections: live.size,
               cpu_ms: cpuMs(), maxrss_kb: maxRssKb() };
    },
  });
}

// --- the loader: the local database, from the JSON lines --------------------------------
async function loader() {
  const PouchDB = requireFrom("pouchdb-node");
  const t0 = performance.now();
  const db = new PouchDB(path.resolve(opt.local));
  let batch = [], docs = 0, bytes = 0;
  const lines = createInterface({ input: createReadStream(opt.docs), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    bytes += Buffer.byteLength(line);
    batch.push(JSON.parse(line));
    if (batch.length === 1000) { await db.bulkDocs(batch); docs += batch.length; batch = []; }
  }
  if (batch.length) { await db.bulkDocs(batch); docs += batch.length; }
  const info = await db.info();
  await db.close();
  process.send({ ready: true, docs, doc_bytes_mean: docs ? bytes / docs : 0, doc_count: info.doc_count,
                 ms: performance.now() - t0, maxrss_kb: maxRssKb() });
}

// --- the client: replications, and changes between them --------------------------------
async function client() {
  const PouchDB = requireFrom("pouchdb-node");
  const local = new PouchDB(path.resolve(opt.local));
  const remote = new PouchDB(opt.remote);
  const baseRss = maxRssKb();
  serveOps({
    async replicate(m) {
      const c0 = cpuMs(), t0 = performance.now();
      const r = await PouchDB.replicate(local, remote, { batch_size: m.batch });
      const ms = performance.now() - t0;
      if (!r.ok || (r.errors && r.errors.length)) throw new Error(`replication failed: ${JSON.stringify(r.errors)}`);
      return { ms, docs_read: r.docs_read, docs_written: r.docs_written, cpu_ms: cpuMs() - c0,
               maxrss_kb: maxRssKb(), start_maxrss_kb: baseRss };
    },
    async change(m) {
      // (100 - P)% edits of the given documents, P% new ones (copies of an edited one's answers).
      const got = await local.allDocs({ keys: m.ids, include_docs: true });
      const docs = got.rows.filter((row) => row.doc).map((row) => row.doc);
      if (!docs.length) throw new Error("none of the documents to change is there");
      const out = [];
      let edits = 0, created = 0, k = 0;
      for (let i = 0; i < m.n; ++i) {
        const d = docs[k++ % docs.length];
        if (Math.random() * 100 < m.newPercent) {
          const { _id, _rev, ...answers } = d;
          out.push({ ...answers, _id: crypto.randomUUID(), queue_length: Math.floor(Math.random() * 60) });
          ++created;
        } else {
          out.push({ ...d, queue_length: Math.floor(Math.random() * 60),
                     notes: "Исправлено после разговора с координатором." });
          ++edits;
        }
      }
      // One document edited twice would conflict in one bulkDocs: distinct ids were asked for.
      const res = await local.bulkDocs(out);
      const failed = res.filter((x) => x.error);
      if (failed.length) throw new Error(`${failed.length} changes failed: ${JSON.stringify(failed[0])}`);
      return { edits, created };
    },
  });
  process.send({ ready: true });
}

// --- the orchestrator --------------------------------------------------------------------
function median(xs) {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function delta(a, b) {
  return { requests: b.requests - a.requests, bytes_up: b.bytes_read - a.bytes_read,
           bytes_down: b.bytes_written - a.bytes_written,
           bytes: b.bytes_read - a.bytes_read + b.bytes_written - a.bytes_written, cpu_ms: b.cpu_ms - a.cpu_ms };
}

async function main() {
  const work = path.resolve(opt.work);
  const batches = (opt.batches || "100,500").split(",").map(Number);
  const runs = Number(opt.runs || 1);
  const noopRuns = Number(opt["noop-runs"] || 10);
  const changes = Number(opt.changes || 1000);
  const changeRuns = Number(opt["change-runs"] || 3);
  const newPercent = Number(opt["new-percent"] || 10);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const localDir = path.join(work, "local");

  const ids = readFileSync(opt.docs, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)._id);
  const load = spawnChild("loader", ["--docs", path.resolve(opt.docs), "--local", localDir], work);
  const loaded = await load.ready;
  await load.stop();
  delete loaded.ready;
  process.stderr.write(`[peer] loaded ${loaded.docs} documents into the local PouchDB in ${(loaded.ms / 1000).toFixed(1)} s\n`);

  const out = {
    versions: Object.fromEntries(["pouchdb-node", "express-pouchdb", "express"].map(
      (n) => [n, JSON.parse(readFileSync(path.join(modules, "node_modules", n, "package.json"), "utf8")).version])),
    node: process.version, docs: loaded.docs, doc_bytes_mean: loaded.doc_bytes_mean, load: loaded,
    first: {}, noop: [], changes: [],
  };
  let serial = 0;
  for (const [bi, batch] of batches.entries()) {
    const last = bi === batches.length - 1;
    const n = last ? runs : 1;
    out.first[batch] = [];
    for (let r = 1; r <= n; ++r) {
      const data = path.join(work, `server${++serial}`);
      mkdirSync(data, { recursive: true });
      const srv = spawnChild("server", ["--data", data], data);
      const { port } = await srv.ready;
      const remote = `http://127.0.0.1:${port}/bench${serial}`;
      const s0 = await srv.call("stats");
      const cli = spawnChild("client", ["--local", localDir, "--remote", remote], work);
      try {
        await cli.ready;
        const rep = await cli.call("replicate", { batch });
        const s1 = await srv.call("stats");
        const d = delta(s0, s1);
        out.first[batch].push({ ...rep, docs_per_s: rep.docs_written / (rep.ms / 1000), requests: d.requests,
                                bytes_up: d.bytes_up, bytes_down: d.bytes_down, bytes: d.bytes,
                                server_cpu_ms: d.cpu_ms, server_maxrss_kb: s1.maxrss_kb });
        process.stderr.write(`[peer] batch ${batch}, run ${r}: ${rep.docs_written} documents in ${(rep.ms / 1000).toFixed(2)} s, ` +
                             `${d.bytes} bytes, ${d.requests} requests\n`);
        if (last && r === n) {
          for (let k = 0; k < noopRuns; ++k) {
            const a = await srv.call("stats");
            const x = await cli.call("replicate", { batch });
            const b = await srv.call("stats");
            out.noop.push({ ms: x.ms, docs_written: x.docs_written, ...delta(a, b) });
          }
          for (let k = 0; k < changeRuns; ++k) {
            const pick = [];
            for (let i = 0; i < changes; ++i) pick.push(ids[(k * changes + i) * 7919 % ids.length]);
            const ch = await cli.call("change", { ids: [...new Set(pick)], n: changes, newPercent });
            const a = await srv.call("stats");
            const x = await cli.call("replicate", { batch });
            const b = await srv.call("stats");
            out.changes.push({ ms: x.ms, docs_written: x.docs_written, ...ch, ...delta(a, b),
                               client_maxrss_kb: x.maxrss_kb });
            process.stderr.write(`[peer] ${changes} changes: ${x.docs_written} documents in ${x.ms.toFixed(0)} ms\n`);
          }
        }
      } finally {
        await cli.stop();
        await srv.stop();
      }
    }
  }
  out.summary = {
    docs_per_s: Object.fromEntries(Object.entries(out.first).map(([b, v]) => [b, median(v.map((x) => x.docs_per_s))])),
    noop_ms: median(out.noop.map((x) => x.ms)),
    noop_requests: median(out.noop.map((x) => x.requests)),
    noop_bytes: median(out.noop.map((x) => x.bytes)),
    changes_ms: median(out.changes.map((x) => x.ms)),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

const role = opt.role || "main";
const roles = { server, loader, client, main };
if (!roles[role]) throw new Error(`peer: unknown role ${role}`);
roles[role]().catch((e) => {
  process.stderr.write(`peer (${role}): ${e && e.stack || e}\n`);
  process.exit(1);
});
