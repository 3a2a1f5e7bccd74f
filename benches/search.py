#!/usr/bin/env python3
"""Search figures: indexing throughput, index size, query latency, and ripgrep over the same files.

    python3 benches/search.py [--sessions 1000] [--events 200] [--work DIR] [--real DIR] [--queries 20]

Generates the seeded workload (benches/generate.rs) unless it is already in WORK/data-SxE, builds hive in release
mode, imports the sessions into a new repository, then:

  index      `hive index rebuild`: events and bytes of text indexed per second, index size / text size
  queries    `hive search --json -n 20` for words, phrases and filtered queries drawn (seeded) from the sessions'
             own text: p50 and p95 wall time per kind, each query run 3 times (a whole `hive` process each time:
             start-up, the check that the index matches the runs, the query, snippets)
  ripgrep    `rg -c -F WORD` over the same JSON Lines files for the same words: p50 and p95

`--real DIR` does the same for a folder of real agent sessions (such as ../shared/trajectories), imported with
`hive import`, with ripgrep over the original files.
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from compare import release_hive, workload  # benches/compare.py, beside this script


def run(command, cwd=None):
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode(errors='replace')}")
    return result.stdout


def env():
    values = dict(os.environ)
    values.update({"HIVE_AUTHOR": "Bench <bench@example.com>", "HIVE_NO_CODE_CONTEXT": "1", "NO_COLOR": "1"})
    values.pop("HIVE_DIR", None)
    return values


def timed(command, cwd):
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):  # rg exits 1 when nothing matches
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode(errors='replace')}")
    return elapsed, result.stdout


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def sample_queries(files, count, seed):
    """Words, phrases and filtered queries from the files' own text, seeded."""
    rng = random.Random(seed)
    texts = []
    for path in rng.sample(files, min(len(files), 50)):
        with open(path, errors="replace") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                for value in strings(record):
                    if len(value) > 40:
                        texts.append(value)
    words = sorted({word for text in texts for word in re.findall(r"[A-Za-z]{6,}", text)})
    phrases = []
    for text in rng.sample(texts, min(len(texts), 400)):
        tokens = re.findall(r"[A-Za-z]{3,}", text)
        if len(tokens) >= 3:
            start = rng.randrange(len(tokens) - 1)
            phrases.append(" ".join(tokens[start:start + 2]))
    chosen_words = rng.sample(words, min(count, len(words)))
    chosen_phrases = rng.sample(phrases, min(count, len(phrases)))
    filtered = [f"{word} kind:tool_result" for word in rng.sample(words, min(count, len(words)))]
    return chosen_words, [f'"{phrase}"' for phrase in chosen_phrases], filtered


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)


def measure(label, hive, repo, files, search_root, queries):
    print(f"\n## {label}")
    started = time.perf_counter()
    report = json.loads(run([hive, "index", "rebuild", "--json"], cwd=repo))
    seconds = report["seconds"]
    text = report["indexed_now"]["text_bytes"]
    events = report["events"]
    print(f"indexed {events} events, {text / 1e6:.1f} MB of text in {seconds:.2f} s: "
          f"{text / 1e6 / seconds:.1f} MB/s, {events / seconds:,.0f} events/s; "
          f"index {report['index_bytes'] / 1e6:.1f} MB = {report['index_bytes'] / text:.2f} x the text "
          f"(wall {time.perf_counter() - started:.2f} s)")
    words, phrases, filtered = queries
    rows = []
    for kind, group in (("word", words), ("phrase", phrases), ("filtered", filtered)):
        latencies = []
        for query in group:
            for _ in range(3):
                elapsed, _ = timed([hive, "search", query, "--json", "-n", "20"], repo)
                latencies.append(elapsed * 1000)
        rows.append((f"hive search, {kind}", latencies))
    rg_latencies = []
    for word in words:
        for _ in range(3):
            elapsed, _ = timed(["rg", "-c", "-F", word, str(search_root)], repo)
            rg_latencies.append(elapsed * 1000)
    rows.append(("rg -c -F WORD", rg_latencies))
    print("| query | p50 ms | p95 ms | queries |\n|---|---|---|---|")
    for name, latencies in rows:
        print(f"| {name} | {statistics.median(latencies):.1f} | {percentile(latencies, 0.95):.1f} | "
              f"{len(latencies) // 3} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "hive-search")
    parser.add_argument("--real", type=Path)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("rg") is None:
        sys.exit("ripgrep (rg) is needed for the comparison: apt-get install ripgrep, or cargo install ripgrep")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    hive = release_hive()
    data = workload(work, args.sessions, args.events)
    files = sorted((data / "hive").glob("*.jsonl"))
    repo = work / f"repo-{args.sessions}x{args.events}"
    if not (repo / ".hive").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        run([hive, "init"], cwd=repo)
        run([hive, "import", str(data / "hive"), "-q"], cwd=repo)
    print(f"hive {hive}; {subprocess.run(['rg', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"workload: {len(files)} sessions of {args.events} events, "
          f"{sum(f.stat().st_size for f in files) / 1e6:.1f} MB of JSON Lines")
    measure("generated", hive, repo, files, data / "hive", sample_queries(files, args.queries, 7))
    if args.real:
        real = args.real.resolve()
        real_repo = work / "repo-real"
        if not (real_repo / ".hive").is_dir():
            real_repo.mkdir(parents=True, exist_ok=True)
            run([hive, "init"], cwd=real_repo)
            subprocess.run([hive, "import", str(real), "-q"], cwd=real_repo, env=env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        real_files = sorted(p for p in real.rglob("*") if p.suffix in (".jsonl", ".json", ".traj"))
        measure("real", hive, real_repo, real_files, real, sample_queries(real_files, args.queries, 7))


if __name__ == "__main__":
    main()
