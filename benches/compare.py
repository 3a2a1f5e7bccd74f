#!/usr/bin/env python3
"""Side-by-side: hive and git on the same agent sessions, in one run.

    python3 benches/compare.py [--sessions 1000] [--events 200] [--work DIR] [--repeat 3] [--real DIR]

Generates the seeded workload (benches/generate.rs) unless it is already in WORK/data, builds hive in release
mode, then measures, for hive and for git on the same hive event JSON Lines files:

  bulk ingest          every session into one repository (hive: `hive import DIR`; git: add -A and one commit),
                       median of --repeat runs
  one commit/session   a loop over the sessions (hive: `hive commit --run R FILE`; git: add + commit), total, p50
                       and p99
  size                 after ingest; after `hive gc` versus `git gc` and `git gc --aggressive`
  log                  `hive log` and `hive runs` versus `git log` over all commits
  fsck                 `hive fsck` versus `git fsck`, in MB/s of stored data
  peak memory          max RSS of every step

and prints each figure with the ratio git/hive (above 1 means hive is better). `--real DIR` repeats the bulk and
per-session steps on real sessions: every record of every file of that folder, one `custom` event each. Durability differs: hive flushes
every commit to disk before it reports; git does not flush by default (core.fsync is off).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(command, cwd=None, env=None):
    """Runs a command that is not measured, stopping on failure."""
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode(errors='replace')}")


def timed(command, cwd=None, env=None):
    """Runs under GNU time; returns (seconds, max RSS in MiB)."""
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, command)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode(errors='replace')}")
    rss_kib = int(result.stderr.decode().strip().splitlines()[-1])
    return elapsed, rss_kib / 1024


def size_of(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                pass
    return total


def git_env():
    env = dict(os.environ)
    env.update({"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
                "GIT_COMMITTER_EMAIL": "bench@example.com", "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull})
    return env


def hive_env():
    env = dict(os.environ)
    env.update({"HIVE_AUTHOR": "Bench <bench@example.com>", "HIVE_NO_CODE_CONTEXT": "1"})
    env.pop("HIVE_DIR", None)
    env.pop("HIVE_RUN", None)
    return env


class Table:
    def __init__(self):
        self.rows = []

    def add(self, name, hive, git, unit, lower_is_better=True):
        ratio = (git / hive if lower_is_better else hive / git) if hive and git else float("nan")
        self.rows.append((name, hive, git, unit, ratio))
        print(f"  {name:<44} hive {hive:>10.3f} {unit:<6} git {git:>10.3f} {unit:<6} ratio {ratio:>6.2f}x", flush=True)

    def markdown(self):
        lines = ["| measure | hive | git | git / hive |", "|---|---|---|---|"]
        for name, hive, git, unit, ratio in self.rows:
            lines.append(f"| {name} | {hive:.3f} {unit} | {git:.3f} {unit} | {ratio:.2f}x |")
        return "\n".join(lines)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def bulk(table, hive, files, work, label, repeat):
    data_bytes = sum(f.stat().st_size for f in files)
    hive_dir = work / f"hive-bulk-{label}"
    git_dir = work / f"git-bulk-{label}"
    env, genv = hive_env(), git_env()
    hive_runs, git_runs = [], []
    for _ in range(repeat):
        for path in (hive_dir, git_dir):
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir(parents=True)
        run([hive, "init"], cwd=hive_dir, env=env)
        hive_runs.append(timed([hive, "import", "--quiet", files[0].parent], cwd=hive_dir, env=env))
        run(["git", "init", "-q"], cwd=git_dir, env=genv)
        for path in files:
            shutil.copyfile(path, git_dir / path.name)
        started = time.perf_counter()
        _, rss_add = timed(["git", "add", "-A"], cwd=git_dir, env=genv)
        _, rss_commit = timed(["git", "commit", "-q", "-m", "bulk"], cwd=git_dir, env=genv)
        git_runs.append((time.perf_counter() - started, max(rss_add, rss_commit)))
    hive_seconds = statistics.median(seconds for seconds, _ in hive_runs)
    git_seconds = statistics.median(seconds for seconds, _ in git_runs)
    mb = data_bytes / 1e6
    print(f"bulk ingest of {len(files)} sessions, {mb:.1f} MB ({label}), median of {repeat}")
    table.add(f"bulk ingest time ({label})", hive_seconds, git_seconds, "s")
    table.add(f"bulk ingest throughput ({label})", mb / hive_seconds, mb / git_seconds, "MB/s", lower_is_better=False)
    table.add(f"bulk ingest peak memory ({label})", max(rss for _, rss in hive_runs), max(rss for _, rss in git_runs),
              "MiB")
    table.add(f"size after ingest ({label})", size_of(hive_dir / ".hive") / 1e6, size_of(git_dir / ".git") / 1e6, "MB")
    return hive_dir, git_dir


def per_session(table, hive, files, work, label):
    hive_dir = work / f"hive-loop-{label}"
    git_dir = work / f"git-loop-{label}"
    for path in (hive_dir, git_dir):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
    env = hive_env()
    run([hive, "init"], cwd=hive_dir, env=env)
    hive_times, hive_peak = [], 0.0
    for path in files:
        started = time.perf_counter()
        _, rss = timed([hive, "commit", "--run", path.stem, path], cwd=hive_dir, env=env)
        hive_times.append(time.perf_counter() - started)
        hive_peak = max(hive_peak, rss)
    genv = git_env()
    run(["git", "init", "-q"], cwd=git_dir, env=genv)
    git_times, git_peak = [], 0.0
    for path in files:
        shutil.copyfile(path, git_dir / path.name)
        started = time.perf_counter()
        _, rss_a = timed(["git", "add", path.name], cwd=git_dir, env=genv)
        _, rss_c = timed(["git", "commit", "-q", "-m", path.stem], cwd=git_dir, env=genv)
        git_times.append(time.perf_counter() - started)
        git_peak = max(git_peak, rss_a, rss_c)
    print(f"one commit per session, {len(files)} sessions ({label}); times include starting each process")
    table.add(f"per-session total ({label})", sum(hive_times), sum(git_times), "s")
    table.add(f"per-session p50 ({label})", statistics.median(hive_times) * 1000, statistics.median(git_times) * 1000, "ms")
    table.add(f"per-session p99 ({label})", percentile(hive_times, 0.99) * 1000, percentile(git_times, 0.99) * 1000, "ms")
    table.add(f"per-session peak memory ({label})", hive_peak, git_peak, "MiB")
    return hive_dir, git_dir


def maintenance(table, hive, hive_dir, git_dir, label):
    env, genv = hive_env(), git_env()
    seconds_h, rss_h = timed([hive, "log", "--oneline"], cwd=hive_dir, env=env)
    seconds_g, rss_g = timed(["git", "log", "--oneline"], cwd=git_dir, env=genv)
    table.add(f"log over all commits ({label})", seconds_h, seconds_g, "s")
    seconds_r, _ = timed([hive, "runs"], cwd=hive_dir, env=env)
    table.add(f"hive runs vs git log ({label})", seconds_r, seconds_g, "s")
    stored_h, stored_g = size_of(hive_dir / ".hive") / 1e6, size_of(git_dir / ".git") / 1e6
    seconds_h, rss_h = timed([hive, "fsck"], cwd=hive_dir, env=env)
    seconds_g, rss_g = timed(["git", "fsck", "--full"], cwd=git_dir, env=genv)
    table.add(f"fsck throughput of stored data ({label})", stored_h / seconds_h, stored_g / seconds_g, "MB/s", lower_is_better=False)
    table.add(f"fsck peak memory ({label})", rss_h, rss_g, "MiB")
    seconds_h, rss_h = timed([hive, "gc", "--prune", "now"], cwd=hive_dir, env=env)
    size_h = size_of(hive_dir / ".hive") / 1e6
    seconds_g, rss_g = timed(["git", "gc", "-q", "--prune=now"], cwd=git_dir, env=genv)
    size_g = size_of(git_dir / ".git") / 1e6
    table.add(f"gc time ({label})", seconds_h, seconds_g, "s")
    table.add(f"gc peak memory ({label})", rss_h, rss_g, "MiB")
    table.add(f"size after hive gc vs git gc ({label})", size_h, size_g, "MB")
    seconds_a, rss_a = timed(["git", "gc", "-q", "--aggressive", "--prune=now"], cwd=git_dir, env=genv)
    size_a = size_of(git_dir / ".git") / 1e6
    table.add(f"size after hive gc vs git gc --aggressive ({label})", size_h, size_a, "MB")
    table.add(f"gc time vs git gc --aggressive ({label})", seconds_h, seconds_a, "s")


def release_hive():
    """Builds hive in release mode; returns the binary."""
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return (target / "release" / "hive").resolve()


def workload(work, sessions, events):
    """The seeded workload's folder (WORK/data-SxE), generated by benches/generate.rs unless it is there."""
    data = work / f"data-{sessions}x{events}"
    if not (data / "hive").is_dir():
        subprocess.run(["cargo", "bench", "--quiet", "--bench", "generate", "--", "--out", str(data),
                        "--sessions", str(sessions), "--events", str(events)], cwd=ROOT, check=True)
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "hive-compare")
    parser.add_argument("--repeat", type=int, default=3, help="bulk ingest runs; the median is reported")
    parser.add_argument("--real", type=Path, help="a folder of real sessions (such as ../shared/trajectories)")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    hive = release_hive()
    data = workload(work, args.sessions, args.events)
    files = sorted((data / "hive").glob("*.jsonl"))
    print(f"hive {hive}\n{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"workload: {len(files)} sessions, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB of hive event JSONL\n")
    table = Table()
    hive_dir, git_dir = bulk(table, hive, files, work, "generated", args.repeat)
    maintenance(table, hive, hive_dir, git_dir, "generated")
    per_session(table, hive, files, work, "generated")
    if args.real:
        real_data = work / "data-real"
        if not (real_data / "hive").is_dir():
            subprocess.run(["cargo", "bench", "--quiet", "--bench", "generate", "--", "--out", str(real_data),
                            "--real", str(args.real.resolve())], cwd=ROOT, check=True)
        real = sorted((real_data / "hive").glob("*.jsonl"))
        hive_dir, git_dir = bulk(table, hive, real, work, "real", args.repeat)
        maintenance(table, hive, hive_dir, git_dir, "real")
        per_session(table, hive, real, work, "real")
    print("\n" + table.markdown())


if __name__ == "__main__":
    main()
