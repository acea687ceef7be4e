"""What the lab's tests (scripts/test_lab.py) share: the lab package loaded afresh into a
temporary checkout, free ports, the processes a test starts, and a stand-in for
nats-server's monitoring port. Standard library only.
"""

import http.server
import importlib
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_lab(root):
    """The lab package (scripts/lablib), freshly loaded, whose checkout is `root`. Its
    settings live in one module that every other one reads, so they are set there; the
    answer is a view with the settings and commands the tests use."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import lablib
    from lablib import processes, reset, run, settings, status
    for module in (settings, processes, status, reset, run, lablib):
        importlib.reload(module)
    settings.ROOT = root
    settings.RUN = root / ".run"
    settings.LOGS, settings.PIDS = settings.RUN / "logs", settings.RUN / "pids"
    settings.DATA = root / "data"
    settings.PROVISION = root / "no-provision"
    settings.nats_command = lambda: ["/bin/sleep", "30"]
    for spec in settings.PROCESSES.values():
        spec["port"] = free_port()
        spec["cmd"] = ["/bin/sleep", "30"]
    settings.MONITOR_PORT = free_port()
    settings.MONITOR = f"http://127.0.0.1:{settings.MONITOR_PORT}"
    # A run that gets as far as following the logs "gets" Ctrl-C at once, so a test of a
    # refusal that does not happen fails instead of hanging.
    run.follow_logs = interrupt
    settings.PIDS.mkdir(parents=True)
    return types.SimpleNamespace(
        PIDS=settings.PIDS, DATA=settings.DATA, PROCESSES=settings.PROCESSES,
        MONITOR_PORT=settings.MONITOR_PORT, run=run.run, start=processes.start,
        reset=reset.reset, stop_all=processes.stop_all, pid_of=processes.pid_of,
        settings=settings, processes=processes)


def interrupt(*_):
    raise KeyboardInterrupt


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabFixture(unittest.TestCase):
    """A fresh lab in a temporary checkout, and the processes a test started."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)
        self.lab = load_lab(self.root)
        self.children = []

    def tearDown(self):
        for child in self.children:
            if child.poll() is None:
                child.kill()
            child.wait()
        self.dir.cleanup()

    def child(self, *args, new_session=True, cwd=None):
        """A process of ours that lives until killed."""
        process = subprocess.Popen(list(args) or ["/bin/sleep", "30"], cwd=cwd,
                                   start_new_session=new_session)
        self.children.append(process)
        # /proc shows a process's new command line and name only a moment after exec.
        deadline = time.time() + 5
        while not Path(f"/proc/{process.pid}/cmdline").read_bytes() and time.time() < deadline:
            time.sleep(0.01)
        return process

    def started(self):
        return sorted(p.name for p in self.lab.PIDS.iterdir() if p.name != "run")


def outward_address():
    """This machine's address on its way out (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


class fake_monitor:
    """A stand-in for nats-server's monitoring port, answering /varz with `store_dir`."""

    def __init__(self, port, store_dir):
        body = json.dumps({"jetstream": {"config": {"store_dir": store_dir}}}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200 if self.path.startswith("/varz") else 404)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_):
        self.server.shutdown()
        self.server.server_close()
