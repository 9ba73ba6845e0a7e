"""What the Kafka benchmarks (bench_kafka.py, bench_receive.py) share: free ports, the service's
metrics, a process's CPU time and peak memory, and a fresh test broker per measurement."""

import os
import shutil
import socket
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "scripts" / "kafka-test-broker"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    """The Prometheus text of the admin server on `port` ("" when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def ready(port):
    """True when the admin server on `port` answers /readyz with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def total(text, name):
    """The sum of every series of metric `name`."""
    s = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            s += float(line.rsplit(" ", 1)[1])
    return s


def cpu_seconds(pid):
    """User plus system CPU time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def peak_rss_mb(pid):
    """A process's peak resident set size (VmHWM) in MB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def service_env(settings):
    """The environment for a zpa-enricher process: the caller's, without its own ZPA_ENRICHER__
    settings, with `settings` (from --env) instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZPA_ENRICHER__")}
    env.update(settings)
    return env


def parse_settings(pairs):
    """`--env ZPA_ENRICHER__KEY=VALUE` arguments as a dict; exits naming the first bad one."""
    settings = {}
    for kv in pairs:
        name, sep, val = kv.partition("=")
        if not sep or not name.startswith("ZPA_ENRICHER__"):
            raise SystemExit(f"--env {kv!r}: expected ZPA_ENRICHER__KEY=VALUE")
        settings[name] = val
    return settings


class TestBroker:
    """A fresh scripts/kafka-test-broker on a free port with a state folder of its own, or the
    broker named by `external` (then `pid` is None and `stop` leaves it running). The test broker
    keeps everything in memory and slows down as it grows, so each measurement takes a new one."""

    def __init__(self, external=None):
        self.state = None
        self.pid = None
        self.brokers = external
        if external:
            return
        self.state = tempfile.mkdtemp()
        self.env = dict(os.environ, KAFKA_TEST_BROKER_DIR=self.state,
                        KAFKA_TEST_BROKER_ARGS="--group-initial-rebalance-delay 0s")
        try:
            self.brokers = subprocess.run([str(TOOL), "start", str(free_port())], env=self.env,
                                          check=True, capture_output=True, text=True).stdout.strip()
            self.pid = int(subprocess.run([str(TOOL), "pid"], env=self.env, check=True,
                                          capture_output=True, text=True).stdout.strip())
        except BaseException:
            self.stop()
            raise

    def cpu(self):
        """The broker's CPU seconds so far (0 for an external one)."""
        return cpu_seconds(self.pid) if self.pid else 0.0

    def stop(self):
        if self.state:
            subprocess.run([str(TOOL), "stop"], env=self.env, capture_output=True)
            shutil.rmtree(self.state, ignore_errors=True)
            self.state = None


def install_test_broker():
    """Installs the test broker if it is not yet (scripts/kafka-test-broker install)."""
    subprocess.run([str(TOOL), "install"], check=True, capture_output=True)
