#!/usr/bin/env python3
"""The lab: start, stop, kill and watch the blog's processes.

`make run` calls `lab.py run`: it starts nats-server, the four services and the web client,
then shows every process's log with its name in front, until Ctrl-C stops them all.
From a second terminal, `make kill|stop|start SERVICE=name` call `lab.py kill|stop|start`,
and `make status` calls `lab.py status`.

How the terminals cooperate: every process writes to its own log file in `.run/logs`, and
its pid goes to `.run/pids`. The `run` terminal follows all the log files, so a process
restarted from another terminal shows up there too. The `run` terminal's own pid goes to
`.run/pids/run`, so a second `make run` is refused while the first one is alive.

nats-server refuses anonymous connections (nats/auth.conf): every user's password is taken
from `NATS_PASSWORD_<USER>`, or the lab default `lab-<user>` (the same rule as
bus/src/auth.rs), and given to nats-server and the services alike. Right after nats-server
starts, `provision` (as the `admin` user) creates the streams; the services may not.
Nothing but the standard library.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def port_taken(port):
    """Whether something already listens on 127.0.0.1:`port`. SO_REUSEADDR, as every server
    here sets it, so a recently closed connection does not count as taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def refuse_taken_ports(names):
    """Exits, naming each one, if a port `names` need is taken by something else."""
    taken = [f"port {port} ({label}) is taken by another program"
             for port, label in ports(names) if port_taken(port)]
    if taken:
        sys.exit("cannot start: " + "; ".join(taken) + ". Stop it, or find it with "
                 "`ss -ltnp`; nothing was started.")


def available():
    """The processes this checkout can start (the web client only once it exists)."""
    names = list(PROCESSES)
    if not (ROOT / "scripts/frontend.sh").exists():
        names.remove("frontend")
    return names


# --- process bookkeeping -------------------------------------------------------------------

def pid_of(name):
    """The pid of `name` if it is running, else None (an exited, unreaped one is not)."""
    try:
        pid = int((PIDS / name).read_text())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    try:
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return None
    except (OSError, IndexError):
        pass
    return pid


def is_lab(pid):
    """Whether `pid` runs this script (a stale pid file may name a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file
    # Empty for a moment while a process is being exec'ed: then trust the pid file too.
    return not cmdline or b"lab.py" in cmdline


def reap_children():
    """Collects every child that has exited (the `run` terminal is their parent, even when
    another terminal killed them), so none lingers as a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def start(name):
    if name not in available():
        sys.exit(f"unknown process {name!r}; choose one of: {', '.join(available())}")
    if pid_of(name):
        print(f"{name} is already running (pid {pid_of(name)})")
        return
    refuse_taken_ports([name])
    spawn(name)
    if name == "nats":
        provision()


def spawn(name):
    """Starts `name` in a session of its own, its output to its log file."""
    spec = PROCESSES[name]
    cmd = nats_command() if name == "nats" else spec["cmd"]
    if not Path(cmd[0]).exists() and cmd[0] != "bash":
        sys.exit(f"{cmd[0]} is missing: run `make build` first")
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    DATA.mkdir(exist_ok=True)
    log = open(LOGS / f"{name}.log", "ab")
    env = {**os.environ, **spec["env"]}
    # A session of its own: Ctrl-C in the `run` terminal reaches lab.py, which then stops
    # each process in order, rather than every process at once.
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    (PIDS / name).write_text(str(process.pid))
    print(f"started {name} (pid {process.pid})")


def provision():
    """Creates the streams, as `admin` (the services' users may not). Idempotent. Waits for
    nats-server to accept connections, up to the program's own 30 s."""
    if not PROVISION.exists():
        print(f"{PROVISION} is missing (run `make build`): the services will wait for their "
              "streams", file=sys.stderr)
        return False
    try:
        done = subprocess.run([str(PROVISION)], cwd=ROOT, env={**os.environ, "RUST_LOG": "warn"},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=45)
    except subprocess.TimeoutExpired:
        print("provision did not finish: the services will wait for their streams",
              file=sys.stderr)
        return False
    if done.returncode != 0:
        print(f"provision failed: {(done.stderr or done.stdout).strip()}", file=sys.stderr)
        return False
    print("provisioned the streams (as admin)")
    return True


def signal_process(name, sig, wait):
    pid = pid_of(name)
    if not pid:
        print(f"{name} is not running")
        return
    signal_group(pid, sig)  # the whole group: the frontend server is a child of bash
    deadline = time.time() + wait
    while time.time() < deadline and pid_of(name):
        time.sleep(0.05)
        reap(pid)
    if pid_of(name):
        signal_group(pid, signal.SIGKILL)
        reap(pid)
    (PIDS / name).unlink(missing_ok=True)
    print(f"{'killed' if sig == signal.SIGKILL else 'stopped'} {name}")


def signal_group(pid, sig):
    """Signals `pid`'s process group, or the process alone if its group has vanished.

    Never raises: the group may be gone (the process already exited, or is no longer a
    group leader), and a pid reused by someone else's process is not ours to signal."""
    try:
        os.killpg(pid, sig)
        return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(pid):
    """Collects a child that has exited, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(name):
    signal_process(name, signal.SIGTERM, wait=10)


def kill(name):
    signal_process(name, signal.SIGKILL, wait=2)


# --- run: start everything and follow the logs ---------------------------------------------

def run():
    supervisor = pid_of("run")
    if supervisor and is_lab(supervisor):
        sys.exit(f"`make run` is already running (pid {supervisor}) in another terminal; "
                 "use that one, or Ctrl-C it first.")
    running = [n for n in available() if pid_of(n)]
    if running:
        sys.exit(f"already running: {', '.join(running)}. Use `make status`, or stop them first.")
    # Before anything starts: a port someone else holds would fail one process halfway.
    refuse_taken_ports(available())
    PIDS.mkdir(parents=True, exist_ok=True)
    (PIDS / "run").write_text(str(os.getpid()))
    try:
        supervise()
    finally:
        (PIDS / "run").unlink(missing_ok=True)


def supervise():
    """Starts everything, follows the logs until told to stop, then stops everything."""
    # Follow only what this run writes: remember where each log file ends now.
    offsets = {name: log_size(name) for name in PROCESSES}
    try:
        for name in available():
            spawn(name)
            if name == "nats" and not provision():
                sys.exit("the streams are not provisioned; stopping")
    except SystemExit:
        stop_all()  # whatever did start must not outlive a failed start
        raise
    print(banner(), flush=True)
    stopping = []
    # Ctrl-C, a closed terminal or a plain `kill` all mean "stop everything". (SIGINT is set
    # explicitly: when started in the background by a script, Python would ignore it.)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        follow_logs(offsets, lambda: bool(stopping))
    except KeyboardInterrupt:
        pass
    print("\nstopping everything…")
    stop_all()


def stop_all():
    """Stops every process, last started first. One that cannot be stopped (a stale pid
    file, a vanished process group) is reported and never keeps the rest running."""
    for name in reversed(available()):
        try:
            if pid_of(name):
                stop(name)
            else:
                (PIDS / name).unlink(missing_ok=True)  # stale: its process is long gone
        except OSError as error:
            print(f"could not stop {name}: {error}", file=sys.stderr)
            (PIDS / name).unlink(missing_ok=True)


def banner():
    lines = ["", "The blog is starting:"]
    if "frontend" in available():
        lines.append("  web client   http://127.0.0.1:3000")
    lines += ["  query        http://127.0.0.1:4002/posts",
              "  posts        http://127.0.0.1:4000/posts",
              "  nats monitor http://127.0.0.1:8222",
              f"  nats (read-only) nats://learner:{os.environ.get('NATS_PASSWORD_LEARNER', '')}"
              "@127.0.0.1:4222",
              "In another terminal: make status | make kill SERVICE=moderation | "
              "make start SERVICE=moderation",
              "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def log_size(name):
    path = LOGS / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def follow_logs(offsets, should_stop):
    """Prints new lines of every log file, prefixed with the process name."""
    width = max(len(n) for n in PROCESSES)
    while not should_stop():
        quiet = True
        for name in PROCESSES:
            path = LOGS / f"{name}.log"
            if not path.exists():
                continue
            size = path.stat().st_size
            if size < offsets[name]:  # the file was wiped (make reset): start over
                offsets[name] = 0
            if size == offsets[name]:
                continue
            with open(path, "rb") as log:
                log.seek(offsets[name])
                chunk = log.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offsets[name] += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                prefix = f"\x1b[{COLOURS.get(name, 0)}m{name:>{width}} |\x1b[0m"
                print(f"{prefix} {line}", flush=True)
                quiet = False
        if quiet:
            reap_children()
            time.sleep(0.1)


# --- status ---------------------------------------------------------------------------------

def fetch_json(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"null")
        except ValueError:
            return error.code, None
    except (OSError, ValueError):
        return None, None


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=1.0) as answer:
            return answer.status
    except (OSError, ValueError):
        return None


def status():
    print(f"{'process':<11} {'pid':>7}  health")
    for name in available():
        pid = pid_of(name)
        health = "-"
        if name in ("posts", "comments", "moderation", "query"):
            code, body = fetch_json(f"http://127.0.0.1:{PROCESSES[name]['port']}/health")
            health = f"{code} {body.get('status')}" if isinstance(body, dict) else "no answer"
        elif name == "nats":
            code, _ = fetch_json(f"{MONITOR}/healthz")
            health = "200 ok" if code == 200 else "no answer"
        elif name == "frontend":
            health = "200 ok" if http_status("http://127.0.0.1:3000/") == 200 else "no answer"
        print(f"{name:<11} {pid or 'down':>7}  {health}")
    print_system_view()
    code, jsz = fetch_json(f"{MONITOR}/jsz?consumers=true")
    if code != 200:
        print("\nnats-server is not answering, so there are no stream figures.")
        return
    print(f"\n{'stream':<11} {'messages':>9}  {'consumer':<12} {'pending':>8} {'ack pending':>12} "
          f"{'redelivered':>12}")
    order = {"POSTS": 0, "COMMENTS": 1, "MODERATION": 2}
    for account in jsz.get("account_details", []):
        streams = sorted(account.get("stream_detail", []), key=lambda s: order.get(s["name"], 9))
        for stream in streams:
            messages = stream.get("state", {}).get("messages", 0)
            consumers = stream.get("consumer_detail") or [None]
            for consumer in consumers:
                if consumer is None:
                    print(f"{stream['name']:<11} {messages:>9}  {'(none)':<12}")
                    continue
                print(f"{stream['name']:<11} {messages:>9}  {consumer['name']:<12} "
                      f"{consumer.get('num_pending', 0):>8} {consumer.get('num_ack_pending', 0):>12} "
                      f"{consumer.get('num_redelivered', 0):>12}")


def print_system_view():
    """What query's `/system` says: services seen through the NATS services API, dead letters."""
    code, system = fetch_json("http://127.0.0.1:4002/system", timeout=2.0)
    if code != 200 or not isinstance(system, dict):
        print("\n(query is down: no service discovery or dead-letter view)")
        return
    seen = ", ".join(f"{s['name']} {'x' + str(s['instances']) if s['up'] else 'DOWN'}"
                     for s in system.get("services", []))
    print(f"\nNATS services API: {seen}")
    letters = system.get("deadLetters", [])
    print(f"dead letters: {len(letters)}")
    for letter in letters[:10]:
        retried = " (retried)" if letter.get("retried") else ""
        print(f"  #{letter['id']} {letter['cause']} {letter['stream']}/{letter['consumer']} "
              f"seq {letter['streamSequence']} after {letter['deliveries']} deliveries: "
              f"{letter.get('error') or '-'}{retried}")


def reset():
    supervisor = pid_of("run")
    if supervisor and is_lab(supervisor):
        sys.exit(f"`make run` (pid {supervisor}) is still running; Ctrl-C it first.")
    running = [n for n in available() if pid_of(n)]
    if running:
        sys.exit(f"still running: {', '.join(running)}. Stop them first (Ctrl-C in the "
                 "`make run` terminal, or `make stop SERVICE=...`).")
    # A nats-server with no pid file (started by hand, or the file was lost) may still be
    # writing into data/.
    store = nats_store_in_use()
    if store:
        sys.exit(f"nats-server is running with its store in {store}; stop it first, then reset.")
    shutil.rmtree(DATA, ignore_errors=True)
    shutil.rmtree(RUN, ignore_errors=True)
    print("wiped data/ (every stream and consumer) and .run/ (logs, pids)")


def nats_store_in_use():
    """Where a running nats-server keeps a store inside this checkout's data/, if one does;
    else None. Two ways to tell, since a pid file can be lost: the server on the monitoring
    port reports its store folder (absolute, when configured so), and nats.conf's relative
    `data/nats` is ours when a nats-server process runs from this checkout."""
    data = DATA.resolve()
    code, varz = fetch_json(f"{MONITOR}/varz")
    if code == 200 and isinstance(varz, dict):
        store = ((varz.get("jetstream") or {}).get("config") or {}).get("store_dir") or ""
        if os.path.isabs(store) and (Path(store).resolve() == data
                                     or data in Path(store).resolve().parents):
            return store
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != "nats-server":
                continue
            if (proc / "cwd").resolve() == ROOT.resolve():
                return f"{data / 'nats'} (pid {proc.name})"
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return None


def main(argv):
    set_default_passwords()
    commands = {"run": run, "status": status, "reset": reset}
    per_process = {"start": start, "stop": stop, "kill": kill}
    if len(argv) == 1 and argv[0] in commands:
        return commands[argv[0]]()
    if len(argv) == 2 and argv[0] in per_process:
        return per_process[argv[0]](argv[1])
    names = "|".join(available())
    sys.exit(f"usage: lab.py run | status | reset | start|stop|kill <{names}>\n"
             f"  (from make: make kill SERVICE=moderation)")


if __name__ == "__main__":
    main(sys.argv[1:])
