"""Where the lab keeps things, and what it runs: the folders, the ports, the NATS users and
their passwords, and the table of processes in start order. Every other module reads these
through this module (`settings.PIDS`), so a test can point them elsewhere in one place."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RUN = ROOT / ".run"
LOGS, PIDS = RUN / "logs", RUN / "pids"
DATA = ROOT / "data"
NATS = ROOT / ".tools/nats/bin/nats-server"
PROVISION = ROOT / "target/release/provision"
MONITOR_PORT = 8222
MONITOR = f"http://127.0.0.1:{MONITOR_PORT}"
# The NATS users of nats/auth.conf; each one's password is NATS_PASSWORD_<USER>.
USERS = ["posts", "comments", "moderation", "query", "admin", "learner"]


def set_default_passwords():
    """Fills in the documented lab default `lab-<user>` for every password not set, so that
    nats-server (which reads them in nats/auth.conf) and the services agree."""
    for user in USERS:
        os.environ.setdefault(f"NATS_PASSWORD_{user.upper()}", f"lab-{user}")


def nats_command():
    conf = "nats/nats-lazy.conf" if os.environ.get("NATS_SYNC") == "lazy" else "nats/nats.conf"
    return [str(NATS), "-c", conf]


def service(name, port):
    return {"cmd": [str(ROOT / "target/release" / name)], "port": port,
            "env": {"PORT": str(port), "NATS_URL": "nats://127.0.0.1:4222"}}


# The processes, in start order. Ports are the ones the design fixes.
PROCESSES = {
    "nats": {"cmd": None, "port": 4222, "env": {}},
    "posts": service("posts", 4000),
    "comments": service("comments", 4001),
    "moderation": service("moderation", 4003),
    "query": service("query", 4002),
    "frontend": {"cmd": ["bash", str(ROOT / "scripts/frontend.sh"), "serve"], "port": 3000,
                 "env": {}},
}
COLOURS = {"nats": 35, "posts": 32, "comments": 33, "moderation": 36, "query": 34, "frontend": 31}


def ports(names):
    """Every port the processes `names` listen on, with a label for messages."""
    found = []
    for name in names:
        found.append((PROCESSES[name]["port"], name))
        if name == "nats":
            found.append((MONITOR_PORT, "nats monitoring"))
    return found


def available():
    """The processes this checkout can start (the web client only once it exists)."""
    names = list(PROCESSES)
    if not (ROOT / "scripts/frontend.sh").exists():
        names.remove("frontend")
    return names
