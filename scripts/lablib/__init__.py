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
Nothing but the standard library. `scripts/lab.py` is the entry the Makefile calls.

The package, one module per job:
- `settings`: folders, ports, users and passwords, the table of processes (one nats-server or
  a cluster of three, each service's instances).
- `processes`: pid files, starting, signalling, stopping; the taken-port guard.
- `run`: `make run` — start everything, serve the lab controller, follow the logs.
- `controller`: the lab controller, the web page's Kill/Stop/Start and scenarios.
- `status`: `make status`.
- `reset`: `make reset`, and the guards that keep it from wiping a store in use.
"""

import sys

from lablib import processes, reset, run, settings, status


def main(argv):
    settings.set_default_passwords()
    commands = {"run": run.run, "status": status.status, "reset": reset.reset}
    per_process = {"start": processes.start, "stop": processes.stop, "kill": processes.kill}
    if len(argv) == 1 and argv[0] in commands:
        return commands[argv[0]]()
    if len(argv) == 2 and argv[0] in per_process:
        return per_process[argv[0]](argv[1])
    if len(argv) == 3 and argv[0] == "scale":
        return processes.scale(argv[1], argv[2])
    names = "|".join(settings.available())
    sys.exit(f"usage: lab.py run | status | reset | start|stop|kill <{names}> | scale <service> <n>\n"
             f"  (from make: make kill SERVICE=moderation, make scale SERVICE=moderation N=3)")
