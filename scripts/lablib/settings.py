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
# What `make build` builds: the `lab` profile (see Cargo.toml), not `release`.
BINARIES = ROOT / "target/lab"
PROVISION = BINARIES / "provision"
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
    return {"cmd": [str(BINARIES / name)], "port": port,
            "env": {"PORT": str(port), "NATS_URL": "nats://127.0.0.1:4222"}}


# The processes, in start order. Ports are the ones the design fixes.
PROCESSES = {
    "nats": {"cmd": None, "port": 4222, "env": {}},
    "posts": service("posts", 4000),
    "comments": service("comments", 4001),
    "moderation": service("moderation", 4003),
    "query": service("query", 4002),
    # The page finds moderation (its knobs, the Moderator page) and the lab controller that
    # `make run` serves (lablib/controller.py) through its /config.json.
    "frontend": {"cmd": ["bash", str(ROOT / "scripts/frontend.sh"), "serve"], "port": 3000,
                 "env": {"MODERATION_URL": "http://127.0.0.1:4003", "LAB_URL": "http://127.0.0.1:4090"}},
}
COLOURS = {"nats": 35, "posts": 32, "comments": 33, "moderation": 36, "query": 34, "frontend": 31}


# `make run CLUSTER=3`: three nats-server nodes instead of one (nats/cluster/nats-N.conf).
CLUSTER_NODES = 3
# `make scale SERVICE=moderation N=3`: how many instances of a service may run.
MAX_INSTANCES = 5
SCALABLE = ("posts", "comments", "moderation", "query")


def cluster_size():
    """1 (one nats-server) or 3 (`make run CLUSTER=3`): `CLUSTER` if set, else what the
    running `make run` chose (kept in .run/cluster, so a second terminal knows)."""
    raw = os.environ.get("CLUSTER", "").strip()
    if not raw:
        try:
            raw = (RUN / "cluster").read_text().strip()
        except OSError:
            raw = "1"
    if raw not in ("1", str(CLUSTER_NODES)):
        raise SystemExit(f"CLUSTER={raw}: run one nats-server (1) or a cluster of {CLUSTER_NODES}")
    return int(raw)


def nats_nodes():
    """The nats-server processes: `nats`, or `nats-1` … `nats-3` in a cluster."""
    if cluster_size() == 1:
        return ["nats"]
    return [f"nats-{n}" for n in range(1, CLUSTER_NODES + 1)]


def node(n):
    """Cluster node `n` (1-based): clients on 4221+n, monitoring on 8221+n."""
    return {"cmd": [str(NATS), "-c", f"nats/cluster/nats-{n}.conf"], "port": 4221 + n,
            "monitor": 8221 + n, "env": {}}


def broker_env():
    """What every service (and `provision`) is told about the broker: all the nodes' URLs,
    and one stream replica per node."""
    if cluster_size() == 1:
        return {"NATS_URL": "nats://127.0.0.1:4222"}
    urls = ",".join(f"nats://127.0.0.1:{node(n)['port']}" for n in range(1, CLUSTER_NODES + 1))
    return {"NATS_URL": urls, "NATS_REPLICAS": str(CLUSTER_NODES)}


def instances(service):
    """How many instances of `service` `make scale` asked for (1 unless it did)."""
    try:
        return int((RUN / "scale" / service).read_text())
    except (OSError, ValueError):
        return 1


def instance_port(base, k):
    """Instance k > 1 of an HTTP service listens on its base port + 10·(k−1)."""
    return base + 10 * (k - 1)


def table():
    """Every process of this run, in start order: the broker (one node or three), each
    service and its extra instances (`moderation-2` …), the web client."""
    found = {}
    for name, spec in PROCESSES.items():
        if name == "nats":
            if cluster_size() == 1:
                found["nats"] = {**spec, "monitor": MONITOR_PORT}
            else:
                for n in range(1, CLUSTER_NODES + 1):
                    found[f"nats-{n}"] = node(n)
            continue
        if name not in SCALABLE:
            found[name] = spec
            continue
        for k in range(1, instances(name) + 1):
            port = instance_port(spec["port"], k)
            env = {**spec["env"], **broker_env(), "PORT": str(port)}
            found[name if k == 1 else f"{name}-{k}"] = {**spec, "port": port, "env": env}
    return found


def colour(name):
    return COLOURS.get(name.split("-")[0], 35 if name.startswith("nats") else 0)


def ports(names):
    """Every port the processes `names` listen on, with a label for messages."""
    every = table()
    found = []
    for name in names:
        found.append((every[name]["port"], name))
        if "monitor" in every[name]:
            found.append((every[name]["monitor"], f"{name} monitoring"))
    return found


def available():
    """The processes this run can start (the web client only once it exists)."""
    names = list(table())
    if not (ROOT / "scripts/frontend.sh").exists():
        names.remove("frontend")
    return names
