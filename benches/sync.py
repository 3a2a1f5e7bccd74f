#!/usr/bin/env python3
"""Sync figures: whole-repository push and clone against git, and the incremental push of one new session.

    python3 benches/sync.py [--sessions 1000] [--events 200] [--work DIR] [--incremental 10]

Generates the seeded workload (benches/generate.rs) unless it is already in WORK/data-SxE, builds hive in release
mode, imports all sessions but the last INCREMENTAL into a repository, starts `hive serve` on 127.0.0.1 with an
admin token, then measures (wall time of whole processes):

  push     `hive push URL` of every run into an empty server repository (HTTP), and into an empty path remote;
           `git push` of the same session files committed to git, into an empty bare repository (file://, git's
           pack protocol)
  clone    `hive clone URL` (HTTP) and of the path remote; `git clone --no-local file://...`
  incremental
           each of the last INCREMENTAL sessions is imported, then `hive push` sends it to the server holding the
           others: wall time (p50, max) and bytes sent against the stored size of the new objects (the pack the
           import wrote)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from compare import release_hive, workload  # benches/compare.py, beside this script


def env(token=None):
    values = dict(os.environ)
    values.update({"HIVE_AUTHOR": "Bench <bench@example.com>", "HIVE_NO_CODE_CONTEXT": "1", "NO_COLOR": "1",
                   "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
                   "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"})
    values.pop("HIVE_DIR", None)
    if token:
        values["HIVE_TOKEN"] = token
    return values


def run(command, cwd, token=None):
    result = subprocess.run(command, cwd=cwd, env=env(token), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr.decode(errors='replace')}")
    return result.stdout


def timed(command, cwd, token=None):
    started = time.perf_counter()
    out = run(command, cwd, token)
    return time.perf_counter() - started, out


def size_of(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def packs(repo):
    return {p.name: p.stat().st_size for p in (repo / "objects" / "pack").glob("pack-*.pack")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "hive-sync")
    parser.add_argument("--incremental", type=int, default=10)
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    hive = release_hive()
    data = workload(work, args.sessions, args.events)
    files = sorted((data / "hive").glob("*.jsonl"))
    base, later = files[:-args.incremental], files[-args.incremental:]
    print(f"hive {hive}\n{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"workload: {len(files)} sessions, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB of event JSONL")

    scratch = work / "sync"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    source = scratch / "source"
    source.mkdir()
    staged = scratch / "base"
    staged.mkdir()
    for path in base:
        os.link(path, staged / path.name)
    run([hive, "init"], source)
    run([hive, "import", "--quiet", staged], source)
    stored = size_of(source / ".hive" / "objects")
    print(f"source repository: {len(base)} sessions, {stored / 1e6:.1f} MB of objects\n")

    root = scratch / "server"
    root.mkdir()
    token = run([hive, "token", "create", "--root", root, "--name", "bench", "--grant", "admin:*"], scratch)
    token = token.decode().strip()
    server = subprocess.Popen([hive, "serve", "--root", root, "--addr", "127.0.0.1:0"], env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = server.stdout.readline().decode().strip() + "/team"
    try:
        rows = []
        seconds, out = timed([hive, "push", "--json", "-q", url], source, token)
        report = json.loads(out)
        rows.append(("push, whole repository (hive, HTTP)", seconds, report["bytes"]))
        seconds, out = timed([hive, "push", "--json", "-q", scratch / "path-remote.hive"], source)
        rows.append(("push, whole repository (hive, path)", seconds, json.loads(out)["bytes"]))
        seconds, _ = timed([hive, "clone", "-q", url, scratch / "clone-http"], scratch, token)
        rows.append(("clone (hive, HTTP)", seconds, size_of(scratch / "clone-http" / ".hive")))
        seconds, _ = timed([hive, "clone", "-q", scratch / "path-remote.hive", scratch / "clone-path"], scratch)
        rows.append(("clone (hive, path)", seconds, size_of(scratch / "clone-path" / ".hive")))

        git_source = scratch / "git-source"
        git_source.mkdir()
        run(["git", "init", "-q", "-b", "main"], git_source)
        for path in base:
            shutil.copyfile(path, git_source / path.name)
        run(["git", "add", "-A"], git_source)
        run(["git", "commit", "-q", "-m", "sessions"], git_source)
        run(["git", "init", "-q", "--bare", scratch / "git-remote.git"], scratch)
        seconds, _ = timed(["git", "push", "-q", f"file://{scratch / 'git-remote.git'}", "main"], git_source)
        rows.append(("push, whole repository (git, file://)", seconds, size_of(scratch / "git-remote.git")))
        seconds, _ = timed(["git", "clone", "-q", "--no-local", f"file://{scratch / 'git-remote.git'}",
                            scratch / "git-clone"], scratch)
        rows.append(("clone (git, file://)", seconds, size_of(scratch / "git-clone" / ".git")))
        print(f"{'operation':42} {'seconds':>8} {'MB':>8}")
        for label, seconds, size in rows:
            print(f"{label:42} {seconds:8.2f} {size / 1e6:8.1f}")

        times, named, ratios = [], [], []
        repo = source / ".hive"
        for number, path in enumerate(later):
            single = scratch / f"one-{path.stem}"
            single.mkdir()
            os.link(path, single / path.name)
            before = packs(repo)
            run([hive, "import", "--quiet", single], source)
            after = packs(repo)
            # Alternately `hive push` (every run: both sides list their references) and `hive push URL RUN`.
            command = [hive, "push", "--json", "-q", url] + ([path.stem] if number % 2 else [])
            seconds, out = timed(command, source, token)
            report = json.loads(out)
            assert [r["status"] for r in report["refs"] if r["status"] != "up-to-date"] == ["created"], report
            (named if number % 2 else times).append(seconds)
            if set(before) <= set(after):
                new = sum(size for name, size in after.items() if name not in before)
                ratios.append(report["bytes"] / new)
        print(f"\nincremental push of one new session into a remote holding {len(base)}: `hive push` "
              f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; `hive push URL RUN` "
              f"p50 {statistics.median(named) * 1000:.0f} ms, max {max(named) * 1000:.0f} ms; "
              f"bytes sent / stored size of the new objects: p50 {statistics.median(ratios):.2f}, "
              f"max {max(ratios):.2f} ({len(ratios)} samples)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
