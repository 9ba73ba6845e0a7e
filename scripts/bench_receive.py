#!/usr/bin/env python3
"""Throughput and memory of `zpa-enricher receive` over mutual TLS into a real Kafka-protocol broker.

Each round:
  1. starts a fresh test broker (scripts/kafka-test-broker keeps everything in memory and slows
     down as it grows, so every round meets the same state) unless --brokers names one;
  2. starts `zpa-enricher receive` with one TLS listener that requires client certificates
     (certificates made with the openssl command for the run), writing to a new raw topic;
  3. opens --connections TLS connections with client certificates, as App Connectors do, and
     writes the same N generated User Activity lines (about 2 KB each; JSON, or with --template
     the vendor's CSV or TSV) through them, split evenly, as fast as the receiver reads;
  4. times from the first record Kafka acknowledged to the last one (start-up and the TLS
     handshakes are not counted), and reads the receiver's peak RSS (VmHWM) and CPU time, and
     the CPU time the broker and the clients spent in the same span (they share the machine).
Prints a table of the rounds and the medians.

--enrich times `receive --enrich` (records also enriched straight to the output topic).
--env ZPA_ENRICHER__KEY=VALUE (repeatable) passes a setting to the receiver (the caller's own
ZPA_ENRICHER__ variables are not used), e.g. ZPA_ENRICHER__RECEIVE__MAX_IN_FLIGHT=4096.

Usage: python3 scripts/bench_receive.py [--records 300000] [--connections 4] [--rounds 3]
                                        [--enrich] [--template json|csv|tsv] [--brokers HOST:PORT]
                                        [--env ZPA_ENRICHER__KEY=VALUE ...]
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (ROOT, TestBroker, cpu_seconds, install_test_broker, parse_settings,
                      peak_rss_mb, ready, scrape, service_env, total, free_port)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certificates(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    d = Path(d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2", "-subj", "/CN=bench CA")
    for name, ext in [("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      ("client", "extendedKeyUsage=clientAuth")]:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr", "-subj", f"/CN=bench {name}")
        (d / f"{name}.ext").write_text(ext + "\n")
        openssl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
                "-CAcreateserial", "-out", d / f"{name}.pem", "-days", "2", "-extfile", d / f"{name}.ext")
    return d


def send(args):
    """One client: a TLS connection with a client certificate, the lines written in 1 MB chunks."""
    port, certs, path, start, end = args
    ctx = ssl.create_default_context(cafile=str(Path(certs) / "ca.pem"))
    ctx.load_cert_chain(str(Path(certs) / "client.pem"), str(Path(certs) / "client.key"))
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            view = memoryview(data)
            for i in range(0, len(view), 1 << 20):
                s.sendall(view[i:i + (1 << 20)])
            # A clean close, as App Connectors close: close_notify, then wait for the receiver
            # to close. Closing at once with unread bytes (TLS 1.3 session tickets) would make
            # the kernel reset the connection and discard what the receiver has not read yet.
            try:
                s.unwrap()
            except (ssl.SSLError, OSError):
                pass


def split_lines(path, parts):
    """Byte ranges of the file, `parts` of them, each ending at a line end."""
    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as f:
        for i in range(1, parts):
            f.seek(size * i // parts)
            f.readline()
            bounds.append(f.tell())
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


def round_(args, binary, certs, lines, n, size):
    broker = TestBroker(args.brokers)
    topic = f"bench-receive-{os.getpid()}-{time.time_ns()}"
    listen, metrics = free_port(), free_port()
    env = service_env({"ZPA_ENRICHER__KAFKA__CREATE_MISSING_TOPICS": "true", **args.settings})
    env["RUST_LOG"] = "warn"
    cmd = [binary, "receive", "--brokers", broker.brokers, "--topic", topic,
           "--listen", f"127.0.0.1:{listen}", "--format", args.template,
           "--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
           "--client-ca", str(certs / "ca.pem"), "--dlq-topic", topic + ".dlq",
           "--metrics-addr", f"127.0.0.1:{metrics}"]
    if args.enrich:
        cmd += ["--enrich", "--output-topic", topic + ".enriched"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while not ready(metrics):
            if proc.poll() is not None or time.time() > deadline:
                sys.exit(f"receive did not become ready: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        ranges = split_lines(lines, args.connections)
        pool = multiprocessing.Pool(args.connections)
        sending = pool.map_async(send, [(listen, str(certs), str(lines), a, b) for a, b in ranges])
        clients = [p.pid for p in pool._pool]
        copies = 2 if args.enrich else 1
        others = lambda: broker.cpu() + sum(cpu_seconds(c) for c in clients)
        first = None
        deadline = time.time() + 900
        while time.time() < deadline:
            # With --enrich each record is produced twice: to the raw and the enriched topic.
            produced = total(scrape(metrics), "zpa_enricher_records_produced_total") / copies
            if first is None and produced > 0:
                first = (time.perf_counter(), produced, cpu_seconds(proc.pid), others())
            if produced >= n:
                break
            if sending.ready() and not sending.successful():
                sending.get()
            time.sleep(0.01)
        end = time.perf_counter()
        cpu_end = cpu_seconds(proc.pid)
        others_end = others()
        sending.get(timeout=60)
        pool.close()
        text = scrape(metrics)
        failures = total(text, "zpa_enricher_receive_parse_failures_total")
        peak = peak_rss_mb(proc.pid)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        if first is None or produced < n:
            sys.exit(f"only {produced:.0f} of {n} records were acknowledged")
        if failures:
            sys.exit(f"{failures:.0f} lines were dead-lettered")
        if code != 0:
            sys.exit(f"receive exited with status {code} after SIGTERM")
        t0, p0, cpu0, others0 = first
        rate = (n - p0) / (end - t0)
        per = lambda seconds: seconds * 1e6 / (n - p0)
        return rate, rate * size / n / 1e6, peak, per(cpu_end - cpu0), per(others_end - others0)
    finally:
        if proc.poll() is None:
            proc.kill()
        broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=300_000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--enrich", action="store_true")
    ap.add_argument("--template", choices=["json", "csv", "tsv"], default="json",
                    help="the lines' template: JSON (default) or the vendor's CSV or TSV")
    ap.add_argument("--brokers")
    ap.add_argument("--env", action="append", default=[], metavar="ZPA_ENRICHER__KEY=VALUE")
    ap.add_argument("--binary", help="a built zpa-enricher (default: build the release binary)")
    args = ap.parse_args()
    args.settings = parse_settings(args.env)

    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "release" / "zpa-enricher")
    if not args.brokers:
        install_test_broker()
    work = Path(tempfile.mkdtemp())
    try:
        certs = make_certificates(work)
        lines = work / "lines.json"
        with open(lines, "wb") as f:
            subprocess.run([binary, "generate", "--count", str(args.records), "--log-type", "user_activity",
                            "--seed", "1", "--start", "2026-11-25T08:00:00Z", "--template", args.template],
                           stdout=f, check=True)
        size = os.path.getsize(lines)
        print(f"{args.records} User Activity {args.template.upper()} lines, {size / args.records:.0f} bytes each on average, "
              f"{args.connections} TLS connections with client certificates"
              f"{', enriched' if args.enrich else ''}")
        print(f"{'round':>5}  {'records/s':>10}  {'MB/s':>7}  {'peak RSS MB':>11}  {'CPU µs/record':>13}"
              f"  {'broker+clients µs/record':>24}")
        results = []
        for i in range(args.rounds):
            r = round_(args, binary, certs, lines, args.records, size)
            results.append(r)
            print(f"{i + 1:>5}  {r[0]:>10,.0f}  {r[1]:>7.1f}  {r[2]:>11.1f}  {r[3]:>13.2f}  {r[4]:>24.2f}",
                  flush=True)
        med = [statistics.median(col) for col in zip(*results)]
        print(f"{'median':>5}  {med[0]:>10,.0f}  {med[1]:>7.1f}  {max(r[2] for r in results):>11.1f}  {med[3]:>13.2f}"
              f"  {med[4]:>24.2f}   (peak RSS: the highest)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
