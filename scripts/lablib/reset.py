"""`make reset`: wipe `data/` and `.run/`, but only when nothing can be writing into them —
no supervisor, no process of ours, and no nats-server using this checkout's store."""

import os
import shutil
import sys
from pathlib import Path

from lablib import settings
from lablib.processes import is_lab, pid_of
from lablib.status import fetch_json


def reset():
    supervisor = pid_of("run")
    if supervisor and is_lab(supervisor):
        sys.exit(f"`make run` (pid {supervisor}) is still running; Ctrl-C it first.")
    running = [n for n in settings.available() if pid_of(n)]
    if running:
        sys.exit(f"still running: {', '.join(running)}. Stop them first (Ctrl-C in the "
                 "`make run` terminal, or `make stop SERVICE=...`).")
    # A nats-server with no pid file (started by hand, or the file was lost) may still be
    # writing into data/.
    store = nats_store_in_use()
    if store:
        sys.exit(f"nats-server is running with its store in {store}; stop it first, then reset.")
    shutil.rmtree(settings.DATA, ignore_errors=True)
    shutil.rmtree(settings.RUN, ignore_errors=True)
    print("wiped data/ (every stream and consumer) and .run/ (logs, pids)")


def nats_store_in_use():
    """Where a running nats-server keeps a store inside this checkout's data/, if one does;
    else None. Two ways to tell, since a pid file can be lost: the server on the monitoring
    port reports its store folder (absolute, when configured so), and nats.conf's relative
    `data/nats` is ours when a nats-server process runs from this checkout."""
    data = settings.DATA.resolve()
    code, varz = fetch_json(f"{settings.MONITOR}/varz")
    if code == 200 and isinstance(varz, dict):
        store = ((varz.get("jetstream") or {}).get("config") or {}).get("store_dir") or ""
        if os.path.isabs(store) and (Path(store).resolve() == data
                                     or data in Path(store).resolve().parents):
            return store
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != "nats-server":
                continue
            if (proc / "cwd").resolve() == settings.ROOT.resolve():
                return f"{data / 'nats'} (pid {proc.name})"
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return None
