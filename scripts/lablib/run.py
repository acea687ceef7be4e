"""`make run`: refuse a second supervisor, start everything, follow every log file with the
process's name in front until Ctrl-C (or SIGTERM, SIGHUP), then stop everything."""

import os
import shutil
import signal
import sys
import time

from lablib import controller, processes, settings
from lablib.processes import (is_lab, pid_of, provision, reap_children, refuse_taken_ports,
                              spawn, stop_all)


def run():
    supervisor = pid_of("run")
    if supervisor and is_lab(supervisor):
        sys.exit(f"`make run` is already running (pid {supervisor}) in another terminal; "
                 "use that one, or Ctrl-C it first.")
    running = [n for n in settings.available() if pid_of(n)]
    if running:
        sys.exit(f"already running: {', '.join(running)}. Use `make status`, or stop them first.")
    # Before anything starts: a port someone else holds would fail one process halfway.
    refuse_taken_ports(settings.available())
    settings.PIDS.mkdir(parents=True, exist_ok=True)
    (settings.PIDS / "run").write_text(str(os.getpid()))
    # Other terminals (`make kill SERVICE=nats-2`) must know which broker this run has; and
    # each run starts with one instance of each service, whatever an earlier one scaled to.
    (settings.RUN / "cluster").write_text(str(settings.cluster_size()))
    shutil.rmtree(settings.RUN / "scale", ignore_errors=True)
    try:
        supervise()
    finally:
        (settings.PIDS / "run").unlink(missing_ok=True)
        (settings.RUN / "cluster").unlink(missing_ok=True)


def supervise():
    """Starts everything, follows the logs until told to stop, then stops everything."""
    # Follow only what this run writes: remember where each log file ends now.
    offsets = {name: log_size(name) for name in settings.table()}
    nodes = settings.nats_nodes()
    try:
        for name in settings.available():
            spawn(name)
            # After the last node: a cluster elects its leader once enough nodes are up.
            if name == nodes[-1] and not provision():
                sys.exit("the streams are not provisioned; stopping")
    except SystemExit:
        stop_all()  # whatever did start must not outlive a failed start
        raise
    print(banner(), flush=True)
    serve_controller()
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


def serve_controller():
    """The lab console's controller (lablib/controller.py), for as long as this run lasts.
    Without it (its port taken) everything else still runs; the page's buttons say why
    they are disabled."""
    try:
        controller.serve(controller.LabProcesses(settings, processes))
        print(f"lab controller on http://127.0.0.1:{controller.PORT} (the page's Kill/Stop/Start)",
              flush=True)
    except OSError as error:
        print(f"no lab controller ({error}): the page's Kill/Stop/Start buttons stay disabled",
              file=sys.stderr, flush=True)


def banner():
    lines = ["", "The blog is starting:"]
    if "frontend" in settings.available():
        lines.append("  web client   http://127.0.0.1:3000")
    nodes = settings.nats_nodes()
    monitors = ", ".join(f"http://127.0.0.1:{settings.table()[n]['monitor']}" for n in nodes)
    lines += ["  query        http://127.0.0.1:4002/posts",
              "  posts        http://127.0.0.1:4000/posts",
              f"  nats monitor {monitors}",
              f"  nats (read-only) nats://learner:{os.environ.get('NATS_PASSWORD_LEARNER', '')}"
              "@127.0.0.1:4222",
              "In another terminal: make status | make kill SERVICE=moderation | "
              "make start SERVICE=moderation",
              "Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def log_size(name):
    path = settings.LOGS / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def follow_logs(offsets, should_stop):
    """Prints new lines of every log file, prefixed with the process name."""
    while not should_stop():
        quiet = True
        # The table grows while we follow (`make scale`): a new instance is followed from
        # where its log file stood when it first appeared.
        names = list(settings.table())
        width = max(len(n) for n in names)
        for name in names:
            if name not in offsets:
                offsets[name] = log_size(name)
            path = settings.LOGS / f"{name}.log"
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
                prefix = f"\x1b[{settings.colour(name)}m{name:>{width}} |\x1b[0m"
                print(f"{prefix} {line}", flush=True)
                quiet = False
        if quiet:
            reap_children()
            time.sleep(0.1)
