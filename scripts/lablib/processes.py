"""Process bookkeeping: a pid file per process in `.run/pids`, starting one in a session of
its own (its output to `.run/logs`), provisioning the streams after nats-server, signalling
a whole process group, and the guard that refuses to start on a port someone else holds."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from lablib import settings


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
             for port, label in settings.ports(names) if port_taken(port)]
    if taken:
        sys.exit("cannot start: " + "; ".join(taken) + ". Stop it, or find it with "
                 "`ss -ltnp`; nothing was started.")


def pid_of(name):
    """The pid of `name` if it is running, else None (an exited, unreaped one is not)."""
    try:
        pid = int((settings.PIDS / name).read_text())
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
    if name not in settings.available():
        sys.exit(f"unknown process {name!r}; choose one of: {', '.join(settings.available())}")
    if pid_of(name):
        print(f"{name} is already running (pid {pid_of(name)})")
        return
    refuse_taken_ports([name])
    spawn(name)
    if name.startswith("nats"):
        provision()


def spawn(name):
    """Starts `name` in a session of its own, its output to its log file."""
    spec = settings.table()[name]
    cmd = settings.nats_command() if name == "nats" else spec["cmd"]
    if not Path(cmd[0]).exists() and cmd[0] != "bash":
        sys.exit(f"{cmd[0]} is missing: run `make build` first")
    settings.LOGS.mkdir(parents=True, exist_ok=True)
    settings.PIDS.mkdir(parents=True, exist_ok=True)
    settings.DATA.mkdir(exist_ok=True)
    log = open(settings.LOGS / f"{name}.log", "ab")
    env = {**os.environ, **spec["env"]}
    # A session of its own: Ctrl-C in the `run` terminal reaches lab.py, which then stops
    # each process in order, rather than every process at once.
    process = subprocess.Popen(cmd, cwd=settings.ROOT, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    (settings.PIDS / name).write_text(str(process.pid))
    print(f"started {name} (pid {process.pid})")


def provision():
    """Creates the streams, as `admin` (the services' users may not). Idempotent. Waits for
    nats-server to accept connections, up to the program's own 30 s."""
    if not settings.PROVISION.exists():
        print(f"{settings.PROVISION} is missing (run `make build`): the services will wait for their "
              "streams", file=sys.stderr)
        return False
    try:
        env = {**os.environ, **settings.broker_env(), "RUST_LOG": "warn"}
        done = subprocess.run([str(settings.PROVISION)], cwd=settings.ROOT, env=env,
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
    (settings.PIDS / name).unlink(missing_ok=True)
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


def scale(service, count):
    """Starts or stops instances of `service` so that `count` run (1 to MAX_INSTANCES)."""
    if service not in settings.SCALABLE:
        sys.exit(f"only a service scales: {', '.join(settings.SCALABLE)}")
    try:
        count = int(count)
    except ValueError:
        count = 0
    if not 1 <= count <= settings.MAX_INSTANCES:
        sys.exit(f"N must be a number from 1 to {settings.MAX_INSTANCES}")
    (settings.RUN / "scale").mkdir(parents=True, exist_ok=True)
    (settings.RUN / "scale" / service).write_text(str(count))
    for k in range(2, settings.MAX_INSTANCES + 1):
        name = f"{service}-{k}"
        if k <= count and not pid_of(name):
            start(name)
        elif k > count and pid_of(name):
            stop(name)
    print(f"{service}: {count} instance{'s' if count > 1 else ''}")


def stop_all():
    """Stops every process, last started first. One that cannot be stopped (a stale pid
    file, a vanished process group) is reported and never keeps the rest running."""
    for name in reversed(settings.available()):
        try:
            if pid_of(name):
                stop(name)
            else:
                (settings.PIDS / name).unlink(missing_ok=True)  # stale: its process is long gone
        except OSError as error:
            print(f"could not stop {name}: {error}", file=sys.stderr)
            (settings.PIDS / name).unlink(missing_ok=True)
