#!/usr/bin/env python3
"""Throughput and latency of `zpa-enricher run` on a real Kafka-protocol broker.

In one run:
  1. drains a backlog of N generated User Activity records (default 500,000, always the same
     records) with `zpa-enricher run --passthrough` (same clients, window and offset handling,
     records copied without enrichment): the ceiling;
  2. drains the same backlog with `zpa-enricher run`;
  3. drains the same backlog with `zpa-enricher run --passthrough=splice`, which writes exactly
     what `run` writes (a unit test checks that) but finds each record's code by a byte search
     and appends a pre-built enrichment, with no validation and no scan: what the output's
     bytes cost (in the clients and the broker) with the least possible work. It splits the
     gap between 1 and 2 into the bytes and the enrichment work;
     steps 1 to 3 are repeated for --rounds rounds, in rotating order (the broker shares the
     machine, so single runs vary); the medians are compared. Each drain gets a fresh test broker
     with the backlog generated into it, because the test broker keeps everything in memory and
     slows down as it grows. Each drain is timed from its first acknowledged record to its last,
     so client start-up is not counted;
  4. measures end-to-end latency (acknowledgement time minus the record's timestamp, from the
     service's histogram) while the generator produces live at --live-rate records/s.
Prints events/s of the three, the ratio and its split, p50/p99 latency and the peak RSS of the service.

The broker is scripts/kafka-test-broker (started on a free port and stopped after each step)
unless --brokers names one, which then gets a new backlog topic for every drain.
Quantiles are interpolated from the histogram buckets.

Builds the release binary with the `bench-passthrough` feature, which the passthrough and the
splice need; in that build `run` makes one comparison per record that a production build does not.

--format ecs or --format splunk_hec times `run` with that output format (output.format); the
splice stays the reference of the default format, lss, which it imitates.

Usage: python3 scripts/bench_kafka.py [--records 500000] [--rounds 3] [--live-rate 5000]
                                      [--live-secs 20] [--format lss|ecs|splunk_hec]
                                      [--env ZPA_ENRICHER__KEY=VALUE ...]
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time

from benchlib import ROOT, TestBroker, cpu_seconds, free_port, parse_settings, peak_rss_mb, scrape, service_env


def value(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def buckets(text, name):
    out = []
    for line in text.splitlines():
        m = re.match(rf'{name}_bucket\{{le="([^"]+)"\}} (\S+)', line)
        if m:
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            out.append((le, float(m.group(2))))
    return sorted(out)


def quantile(bucket_deltas, q):
    total = bucket_deltas[-1][1] if bucket_deltas else 0
    if total <= 0:
        return float("nan")
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in bucket_deltas:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / max(c - prev_c, 1e-9))
        prev_le, prev_c = le, c
    return prev_le


# Settings for both set-ups from --env (the caller's own ZPA_ENRICHER__ variables are not used).
SETTINGS = {}


class Service:
    def __init__(self, binary, brokers, raw, out, group, extra=()):
        self.port = free_port()
        env = service_env(SETTINGS)
        env["ZPA_ENRICHER__KAFKA__CREATE_MISSING_TOPICS"] = "true"
        env["RUST_LOG"] = "warn"
        self.proc = subprocess.Popen(
            [binary, "run", "--brokers", brokers, "--input-topic", raw, "--output-topic", out,
             "--dlq-topic", out + ".dlq", "--group", group, "--metrics-addr", f"127.0.0.1:{self.port}", *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.peak = 0.0
        self.cpu = 0.0

    def metrics(self):
        self.peak = max(self.peak, peak_rss_mb(self.proc.pid))
        return scrape(self.port)

    def produced(self):
        return value(self.metrics(), 'zpa_enricher_records_produced_total{destination="output"}')

    def stop(self):
        self.peak = max(self.peak, peak_rss_mb(self.proc.pid))
        self.cpu = cpu_seconds(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


def drain(binary, brokers, raw, n, tag, mode, broker_pid):
    """Drains the backlog with `run` (mode None) or `run --passthrough=MODE`. Returns events/s,
    the service's peak RSS, and the service's and the broker's CPU per record (the broker's over
    the timed part only; None when the broker is not ours)."""
    svc = Service(binary, brokers, raw, f"{raw}.{tag}", f"{raw}.{tag}.group",
                  [f"--passthrough={mode}"] if mode else [])
    # Time from the first acknowledged record to the last one: start-up (joining the group,
    # the producer's first metadata and producer id, which take about a second on the test
    # broker and vary) is not counted, only the steady drain.
    first = None
    deadline = time.time() + 900
    while time.time() < deadline:
        produced = svc.produced()
        if first is None and produced > 0:
            first = (time.perf_counter(), produced, cpu_seconds(broker_pid) if broker_pid else 0.0)
        if produced >= n:
            break
        time.sleep(0.02)
    end = time.perf_counter()
    broker_end = cpu_seconds(broker_pid) if broker_pid else 0.0
    svc.stop()
    if first is None:
        sys.exit(f"{tag}: nothing was produced")
    t0, p0, broker_t0 = first
    broker_cpu = (broker_end - broker_t0) * 1e6 / (n - p0) if broker_pid and n > p0 else None
    return (n - p0) / (end - t0), svc.peak, svc.cpu * 1e6 / n, broker_cpu


class Broker(TestBroker):
    """A fresh test broker (or the one named by --brokers), with the input generated into it."""

    def __init__(self, external, binary, records):
        super().__init__(external)
        self.raw = f"bench-{os.getpid()}-{time.time_ns()}"
        if not records:
            return
        try:
            subprocess.run([binary, "generate", "--count", str(records), "--log-type", "user_activity",
                            "--seed", "1", "--start", "2026-11-25T08:00:00Z", "--brokers", self.brokers,
                            "--topic", self.raw],
                           env=service_env(SETTINGS), check=True)
        except BaseException:
            self.stop()
            raise


def measure(args, binary, tag, mode):
    """One drain of a freshly generated backlog, on a fresh test broker each time, so that every
    drain meets the same broker state (the test broker keeps everything in memory and slows down
    as it grows)."""
    broker = Broker(args.brokers, binary, args.records)
    try:
        return drain(binary, broker.brokers, broker.raw, args.records, tag, mode, broker.pid)
    finally:
        broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=500_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--live-rate", type=int, default=5_000)
    ap.add_argument("--live-secs", type=int, default=20)
    ap.add_argument("--brokers", help="use this broker instead of starting the test broker")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--env", action="append", default=[], metavar="ZPA_ENRICHER__KEY=VALUE",
                    help="a setting for both set-ups, e.g. ZPA_ENRICHER__OUTPUT__FIELDS=code,severity")
    ap.add_argument("--format", choices=["lss", "ecs", "splunk_hec"],
                    help="the output format of `run` (output.format; default lss)")
    args = ap.parse_args()
    if args.format:
        args.env.append(f"ZPA_ENRICHER__OUTPUT__FORMAT={args.format}")
    SETTINGS.update(parse_settings(args.env))

    binary = str(ROOT / "target" / "release" / "zpa-enricher")
    if not args.no_build:
        # The reference set-ups (`run --passthrough`) are only in a build with this feature.
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--features", "bench-passthrough"],
                       cwd=ROOT, check=True)
    if subprocess.run([binary, "run", "--passthrough=splice", "--help"], capture_output=True).returncode != 0:
        sys.exit(f"{binary} has no `run --passthrough`: build it with --features bench-passthrough")

    print(f"{args.rounds} rounds; each drain reads {args.records:,} generated User Activity records "
          f"on {'a fresh test broker' if not args.brokers else args.brokers}", flush=True)
    setups = {
        "pass": lambda r: measure(args, binary, f"passthrough{r}", "copy"),
        "run": lambda r: measure(args, binary, f"run{r}", None),
        "splice": lambda r: measure(args, binary, f"splice{r}", "splice"),
    }
    order = list(setups)
    rows = []
    for r in range(args.rounds):
        # Rotate which goes first.
        row = {}
        for name in order[r % 3:] + order[:r % 3]:
            row[name] = setups[name](r)
        rows.append(row)
        print(f"round {r + 1}: passthrough {row['pass'][0]:,.0f} ev/s, "
              f"run {row['run'][0]:,.0f} ev/s, "
              f"splice {row['splice'][0]:,.0f} ev/s", flush=True)
    med = {name: [statistics.median(row[name][i] for row in rows) for i in (0, 2)] for name in setups}
    for name in setups:
        broker_cpu = [row[name][3] for row in rows if row[name][3] is not None]
        med[name].append(statistics.median(broker_cpu) if broker_cpu else None)
    peak = {name: max(row[name][1] for row in rows) for name in setups}
    pass_eps, run_eps, splice_eps = med["pass"][0], med["run"][0], med["splice"][0]

    broker = Broker(args.brokers, binary, None)
    brokers, raw = broker.brokers, broker.raw
    try:
        # Latency under a steady live load.
        live = f"{raw}.live"
        svc = Service(binary, brokers, live, f"{live}.out", f"{live}.group")
        time.sleep(3)
        gen = subprocess.Popen([binary, "generate", "--count", "0", "--rate", str(args.live_rate),
                                "--log-type", "user_activity", "--brokers", brokers, "--topic", live])
        time.sleep(5)  # warm-up: group joined, steady state
        before = buckets(svc.metrics(), "zpa_enricher_end_to_end_latency_seconds")
        time.sleep(args.live_secs)
        after = buckets(svc.metrics(), "zpa_enricher_end_to_end_latency_seconds")
        gen.terminate()
        gen.wait()
        svc.stop()
        deltas = [(le, c - dict(before).get(le, 0.0)) for le, c in after]
        p50, p99 = quantile(deltas, 0.5), quantile(deltas, 0.99)
        samples = deltas[-1][1] if deltas else 0

        print()
        print(f"median of {args.rounds} rounds of {args.records:,} records; peak RSS is the highest")
        print(f"{'':<36} {'events/s':>10} {'CPU us/ev':>10} {'broker us/ev':>12} {'peak RSS MB':>12}")
        for name, label in [("pass", "passthrough (ceiling)"), ("run", "zpa-enricher run"),
                            ("splice", "splice: run's output, no validation")]:
            broker_cpu = "-" if med[name][2] is None else f"{med[name][2]:.2f}"
            print(f"{label:<36} {med[name][0]:>10,.0f} {med[name][1]:>10.2f} {broker_cpu:>12} "
                  f"{peak[name]:>12.1f}")
        print(f"ratio run / passthrough: {run_eps / pass_eps:.1%}")
        print(f"  the output's bytes (splice / passthrough): {splice_eps / pass_eps:.1%}")
        print(f"  the validation and enrichment work (run / splice): {run_eps / splice_eps:.1%}")
        print(f"end-to-end latency at {args.live_rate:,} records/s over {args.live_secs} s "
              f"({samples:,.0f} records): p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
              f"peak RSS {svc.peak:.1f} MB")
        print("targets: >= 90% of the passthrough, RSS <= 64 MB")
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
