#!/usr/bin/env python3
"""Latency of `hive hook claude-code`, per invocation, as Claude Code runs it.

    python3 benches/hooks.py [--sessions 20] [--transcript FILE] [--work DIR]

Builds hive in release mode, makes a repository, and replays whole sessions through the hook: for each session a
Claude Code transcript is written record by record (the given one, or by default the first generated session of
benches/generate.rs's workload, 200 events), and at each point Claude Code would run a hook (SessionStart,
UserPromptSubmit, PostToolUse, Stop at the end of each turn, SessionEnd) one `hive hook claude-code` process reads
the payload on stdin. Each invocation is timed from spawn to exit (the time Claude Code waits). Prints p50, p99 and
max per hook event. The budget is about 20 ms: staging events costs one journal append; Stop and SessionEnd import
what the transcript gained since the last one.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def payloads(records, session, transcript, cwd):
    """(records written, payload) pairs in the order Claude Code sends them."""
    def base(event, **fields):
        return {"hook_event_name": event, "session_id": session, "transcript_path": str(transcript),
                "cwd": str(cwd), "permission_mode": "default", **fields}
    out = [(0, base("SessionStart", source="startup"))]
    calls = {}
    for index, record in enumerate(records):
        content = (record.get("message") or {}).get("content")
        if record.get("type") == "user":
            if isinstance(content, str):
                out.append((index + 1, base("UserPromptSubmit", prompt=content)))
            for block in content if isinstance(content, list) else []:
                if block.get("type") == "tool_result":
                    name, tool_input = calls.get(block.get("tool_use_id"), ("", {}))
                    out.append((index + 1, base("PostToolUse", tool_name=name, tool_input=tool_input,
                                                tool_use_id=block.get("tool_use_id"),
                                                tool_response=block.get("content"))))
        elif record.get("type") == "assistant" and isinstance(content, list):
            for block in content:
                if block.get("type") == "tool_use":
                    calls[block.get("id")] = (block.get("name"), block.get("input"))
            kinds = {block.get("type") for block in content}
            if "text" in kinds and "tool_use" not in kinds:
                out.append((index + 1, base("Stop", stop_hook_active=False)))
    out.append((len(records), base("SessionEnd", reason="other")))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--transcript", type=Path)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    hive = ROOT / "target" / "release" / "hive"
    work = args.work or Path(tempfile.mkdtemp(prefix="hive-hooks-"))
    transcript_source = args.transcript
    if transcript_source is None:
        data = work / "workload"
        if not (data / "claude").is_dir():
            subprocess.run(["cargo", "bench", "--quiet", "--bench", "generate", "--", "--out", str(data),
                            "--sessions", "1", "--events", "200"], cwd=ROOT, check=True)
        transcript_source = sorted((data / "claude").rglob("*.jsonl"))[0]
    lines = [line for line in transcript_source.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    subprocess.run([hive, "init"], cwd=project, check=True, stdout=subprocess.DEVNULL)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "HIVE_NO_CODE_CONTEXT": "1"}
    timings = {}
    for number in range(args.sessions):
        session = f"bench-{number:04}"
        transcript = work / ".claude" / "projects" / "-bench" / f"{session}.jsonl"
        transcript.parent.mkdir(parents=True, exist_ok=True)
        for written, payload in payloads(records, session, transcript, project):
            transcript.write_text("".join(line + "\n" for line in lines[:written]))
            data = json.dumps(payload).encode()
            started = time.perf_counter()
            result = subprocess.run([hive, "hook", "claude-code"], input=data, cwd=project, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elapsed = time.perf_counter() - started
            if result.returncode != 0:
                sys.exit(f"hook exited {result.returncode}")
            timings.setdefault(payload["hook_event_name"], []).append(elapsed * 1000)
    log = project / ".hive" / "logs" / "hooks.log"
    if log.exists():
        sys.exit(f"the hook logged problems:\n{log.read_text()}")
    print(f"{args.sessions} sessions of {len(records)} records ({transcript_source.name}), "
          f"{sum(map(len, timings.values()))} hook invocations")
    print(f"{'hook':<20}{'count':>7}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    every = []
    for event in ["SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd"]:
        values = sorted(timings.get(event, []))
        if not values:
            continue
        every.extend(values)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"{event:<20}{len(values):>7}{statistics.median(values):>10.1f}{p99:>10.1f}{values[-1]:>10.1f}")
    every.sort()
    print(f"{'all':<20}{len(every):>7}{statistics.median(every):>10.1f}"
          f"{every[min(len(every) - 1, int(len(every) * 0.99))]:>10.1f}{every[-1]:>10.1f}")


if __name__ == "__main__":
    main()
