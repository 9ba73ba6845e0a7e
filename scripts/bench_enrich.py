#!/usr/bin/env python3
"""End-to-end throughput of `zpa-enricher enrich` on generated User Activity records.

Builds the release binary, generates N realistic User Activity records once with
`zpa-enricher generate`, then times `zpa-enricher enrich` pinned to one CPU core, in each output
format asked for (--formats: lss, ecs, splunk_hec; all by default) and three set-ups:

  file -> /dev/null   reading and enriching (the output is discarded by the kernel)
  file -> file        the full job, output written to a new file
  pipe -> pipe        stdin from `cat`, stdout into `wc -c`, as in a shell pipeline (those two on
                      CPU 1)

Each set-up runs --runs times; the table shows the best run (the least disturbed by other load)
and the median. MB/s is input megabytes (10^6 bytes) per second. Peak RSS is the enricher
process's maximum resident set size (from wait4), the largest over all runs.

Targets (one core): lss >= 500,000 events/s and >= 600 MB/s; ecs and splunk_hec, which rebuild
each record instead of splicing into it, >= 120,000 events/s and >= 250 MB/s; peak RSS <= 30 MB.

Usage: python3 scripts/bench_enrich.py [--records 500000] [--runs 5] [--formats lss,ecs]
       [--no-build] [--keep]
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
# Per format: (events/s, MB/s).
TARGETS = {"lss": (500_000, 600), "ecs": (120_000, 250), "splunk_hec": (120_000, 250)}
TARGET_RSS_MB = 30


def run_measured(argv, stdin=None, stdout=None):
    """Runs argv, returns (seconds, max RSS in KiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, proc.returncode


def pin(argv, cpu=0):
    if shutil.which("taskset") and cpu < (os.cpu_count() or 1):
        return ["taskset", "-c", str(cpu), *argv]
    return argv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release binary")
    ap.add_argument("--keep", action="store_true", help="keep the generated files in bench-out/")
    ap.add_argument("--formats", default="lss,ecs,splunk_hec", help="comma-separated output formats to time")
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    for f in formats:
        if f not in TARGETS:
            sys.exit(f"unknown format {f!r} (formats: {', '.join(TARGETS)})")

    binary = ROOT / "target" / "release" / "zpa-enricher"
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    if not binary.exists():
        sys.exit(f"{binary} not found; build it with cargo build --release")

    out_dir = ROOT / "bench-out"
    out_dir.mkdir(exist_ok=True)
    data = out_dir / f"user_activity_{args.records}_{args.seed}.jsonl"
    if not data.exists():
        subprocess.run(
            [str(binary), "generate", "--count", str(args.records), "--log-type", "user_activity",
             "--seed", str(args.seed), "--start", "2026-11-25T08:00:00Z", "--output", str(data)],
            check=True,
        )
    size = data.stat().st_size
    with open(data, "rb") as f:
        lines = sum(1 for _ in f)
    print(f"input: {lines} User Activity records, {size / 1e6:.1f} MB, {size / lines:.0f} bytes per record on average")
    cpus = os.cpu_count()
    pinned = "pinned to CPU 0 with taskset" if shutil.which("taskset") else "not pinned (taskset missing)"
    print(f"machine: {cpus} CPUs; enricher {pinned}; best and median of {args.runs} runs\n")

    out_file = out_dir / "enriched.jsonl"

    def set_ups(enrich):
        def file_to_null():
            with open(data, "rb") as fin, open(os.devnull, "wb") as fout:
                return run_measured(pin(enrich), stdin=fin, stdout=fout)

        def file_to_file():
            # Start each run with no output file and no dirty pages: truncating the previous
            # run's gigabyte, or waiting for its write-back, is not the enricher's work.
            out_file.unlink(missing_ok=True)
            os.sync()
            return run_measured(pin([*enrich, "--input", str(data), "--output", str(out_file)]))

        def pipe_to_pipe():
            # The feeding and draining processes run on another core, so that the enricher has
            # one core to itself (on a one-core machine they share it).
            cat = subprocess.Popen(pin(["cat", str(data)], 1), stdout=subprocess.PIPE)
            wc = subprocess.Popen(pin(["wc", "-c"], 1), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            result = run_measured(pin(enrich), stdin=cat.stdout, stdout=wc.stdin)
            cat.stdout.close()
            wc.stdin.close()
            cat.wait()
            wc.wait()
            return result

        return [("file -> /dev/null", file_to_null), ("file -> file", file_to_file), ("pipe -> pipe", pipe_to_pipe)]

    rows = []
    for fmt in formats:
        enrich = [str(binary), "enrich", "--stats", "none", "--format", fmt]
        for name, fn in set_ups(enrich):
            times, rss = [], 0
            for _ in range(args.runs):
                elapsed, maxrss, code = fn()
                if code != 0:
                    sys.exit(f"{fmt}, {name}: zpa-enricher exited with {code}")
                times.append(elapsed)
                rss = max(rss, maxrss)
            best, median = min(times), statistics.median(times)
            rows.append((fmt, name, lines / best, size / best / 1e6, lines / median, size / median / 1e6, rss / 1024))

    header = f"{'format':<11} {'set-up':<18} {'events/s (best)':>16} {'MB/s (best)':>12} {'events/s (median)':>18} {'MB/s (median)':>14} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for fmt, name, eps, mbps, eps_m, mbps_m, rss in rows:
        print(f"{fmt:<11} {name:<18} {eps:>16,.0f} {mbps:>12,.0f} {eps_m:>18,.0f} {mbps_m:>14,.0f} {rss:>12.1f}")
    print()
    print(f"targets (one core, input MB/s), peak RSS <= {TARGET_RSS_MB} MB:")
    for fmt, (eps, mbps) in TARGETS.items():
        if fmt in formats:
            print(f"  {fmt:<11} >= {eps:,} events/s, >= {mbps} MB/s")
    for fmt, name, eps, mbps, _, _, rss in rows:
        t_eps, t_mbps = TARGETS[fmt]
        ok = eps >= t_eps and mbps >= t_mbps and rss <= TARGET_RSS_MB
        print(f"  {fmt:<11} {name:<18} {'met' if ok else 'NOT met'}")

    out_file.unlink(missing_ok=True)
    if not args.keep:
        data.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
