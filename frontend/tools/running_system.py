"""The whole system the browser test drives, on random free ports.

`RunningSystem.start()` starts its own broker — three nats-server nodes joined as a cluster
(`make run CLUSTER=3`'s shape: random ports, a temporary store each, the repository's users
from nats/auth.conf) — provisions the streams with three replicas, starts the four services
(target/$SERVICES_PROFILE) with every node's URL, and the frontend server, then chromedriver
and a headless Chromium session. It never clashes with a `make run` beside it. A scenario
restarts or kills a service through `start_service` and `procs.kill`, and a broker node
through `start_node` and `procs.kill("nats-2")`; `stop()` stops everything this started,
pass or fail.

Why a cluster and not `make run`'s single node: the page cannot tell them apart except in
the System view, where a cluster has more to show (a node down while the blog goes on).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from browser_kit import CHROMEDRIVER, Browser, Processes, free_port, http_status, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from lablib import controller  # noqa: E402 (the lab controller `make run` serves)

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
# The services' binaries: target/debug unless SERVICES_PROFILE says otherwise.
SERVICES = ROOT / "target" / os.environ.get("SERVICES_PROFILE", "release")
NATS_SERVER = Path(os.environ.get("NATS_SERVER", ROOT / ".tools" / "nats" / "bin" / "nats-server"))
SERVICE_NAMES = ("posts", "comments", "moderation", "query")
NODES = ("nats-1", "nats-2", "nats-3")


def missing_pieces() -> list[Path]:
    """What must be built before the test can run (scripts/frontend.sh test builds it)."""
    needed = [NATS_SERVER, *(SERVICES / s for s in (*SERVICE_NAMES, "provision", "poison")), DIST / "index.html"]
    return [path for path in needed if not Path(path).exists()]


class RunningSystem:
    def __init__(self, logs: Path):
        self.scratch = Path(tempfile.mkdtemp(prefix="blog-browser-test-"))
        self.procs = Processes(logs)
        self.browser: Browser | None = None
        self.controller = None
        self.node_ports = {node: free_port() for node in NODES}
        self.route_ports = {node: free_port() for node in NODES}
        self.nats_url = ",".join(f"nats://127.0.0.1:{port}" for port in self.node_ports.values())
        self.ports = {name: free_port() for name in (*SERVICE_NAMES, "frontend")}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.origin = self.urls["frontend"]

    def start(self) -> Browser:
        self._start_nats()
        for name in SERVICE_NAMES:
            self.start_service(name)
        for name in SERVICE_NAMES:
            self.healthy(name)
        # The same lab controller `make run` serves, over this test's processes.
        self.controller = controller.serve(BrowserTestLab(self), port=0, origins={self.origin})
        lab_url = f"http://127.0.0.1:{self.controller.server_address[1]}"
        self.procs.start("frontend", [sys.executable, str(ROOT / "frontend" / "tools" / "serve.py")], {
            "FRONTEND_HOST": "127.0.0.1", "FRONTEND_PORT": str(self.ports["frontend"]), "FRONTEND_DIST": str(DIST),
            "POSTS_URL": self.urls["posts"], "COMMENTS_URL": self.urls["comments"], "QUERY_URL": self.urls["query"],
            "MODERATION_URL": self.urls["moderation"], "LAB_URL": lab_url,
        })
        wait_until("the frontend server", lambda: http_status(f"{self.origin}/config.json") == 200, 20)

        driver_port = free_port()
        self.procs.start("chromedriver", [CHROMEDRIVER, f"--port={driver_port}"])
        wait_until("chromedriver", lambda: http_status(f"http://127.0.0.1:{driver_port}/status") == 200, 20)
        self.browser = Browser(f"http://127.0.0.1:{driver_port}", self.scratch / "profile")
        return self.browser

    def _start_nats(self):
        # The repository's users and permissions (nats/auth.conf), as `make run` has them: each
        # password from the environment or its lab default, the streams provisioned as admin.
        for user in ("posts", "comments", "moderation", "query", "admin", "learner"):
            os.environ.setdefault(f"NATS_PASSWORD_{user.upper()}", f"lab-{user}")
        shutil.copy(ROOT / "nats" / "auth.conf", self.scratch / "auth.conf")
        routes = ", ".join(f"nats-route://127.0.0.1:{port}" for port in self.route_ports.values())
        for node in NODES:
            store = json.dumps(str(self.scratch / node))
            (self.scratch / f"{node}.conf").write_text(
                f"listen: 127.0.0.1:{self.node_ports[node]}\nserver_name: {node}\n"
                f"jetstream {{ store_dir: {store} }}\n"
                f"cluster {{ name: browser-test, listen: 127.0.0.1:{self.route_ports[node]}, routes: [{routes}] }}\n"
                "include auth.conf\n")
        for node in NODES:
            self.start_node(node)
        # Provisioning retries until the nodes have elected their meta leader.
        subprocess.run([str(SERVICES / "provision")], check=True, timeout=90,
                       env={**os.environ, "NATS_URL": self.nats_url, "NATS_REPLICAS": str(len(NODES))})

    def start_node(self, node: str):
        """Starts (or restarts, with its store) one broker node and waits until it listens."""
        self.procs.start(node, [str(NATS_SERVER), "-c", str(self.scratch / f"{node}.conf")])
        port = self.node_ports[node]
        wait_until(f"{node} to listen", lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True, 20)

    def start_service(self, name: str, env: dict | None = None):
        self.procs.start(name, [str(SERVICES / name)], {
            "HOST": "127.0.0.1", "PORT": str(self.ports[name]), "NATS_URL": self.nats_url, "NATS_REPLICAS": str(len(NODES)),
            "FRONTEND_ORIGINS": self.origin, "QUERY_INSTANCE": "browser_test", "RUST_LOG": os.environ.get("SERVICES_RUST_LOG", "info"),
            # One automatic retry, too late to happen during the test: the page shows it
            # scheduled, and the manual Retry and Retry all are what the test presses.
            "QUERY_REDRIVE": "5m",
            **(env or {}),
        })

    def running(self, name: str) -> bool:
        process = self.procs.running.get(name)
        return process is not None and process.poll() is None

    def healthy(self, name: str, timeout: float = 60):
        wait_until(f"{name} /health", lambda: http_status(f"{self.urls[name]}/health") == 200, timeout)

    def stop(self):
        if self.browser is not None:
            self.browser.quit()
        if self.controller is not None:
            self.controller.shutdown()
        self.procs.stop_all()
        shutil.rmtree(self.scratch, ignore_errors=True)


class BrowserTestLab:
    """This test's processes, as the lab controller sees them (`make run`'s are
    `controller.LabProcesses`): the services and the broker's nodes."""

    def __init__(self, system: RunningSystem):
        self.system = system

    def processes(self):
        return [{"name": name, "kind": "nats" if name in NODES else "service",
                 "service": name.split("-")[0], "running": self.system.running(name)}
                for name in (*NODES, *SERVICE_NAMES)]

    def act(self, name, action):
        if action == "start":
            if not self.system.running(name):
                (self.system.start_node if name in NODES else self.system.start_service)(name)
            return
        self.system.procs.kill(name, signal.SIGKILL if action == "kill" else signal.SIGTERM)

    def set_knobs(self, changes):
        controller.put_knobs(self.system.urls["moderation"], changes)

    def poison(self):
        done = subprocess.run([str(SERVICES / "poison")], capture_output=True, text=True, timeout=20,
                              env={**os.environ, "NATS_URL": self.system.nats_url})
        return (done.stdout or done.stderr).strip()
