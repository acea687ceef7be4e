"""The lab controller: the web page's hands on the processes (the lab console's Kill, Stop
and Start buttons, and its one-click scenarios).

`make run` already owns the processes, so it serves this too, on 127.0.0.1:4090, in a
thread beside the log follower. Nothing else gets new powers: the services still cannot
touch each other; a person at the page can do what `make kill` does in a terminal.

Endpoints (JSON):
  GET  /lab                                  the processes (running or not) and the scenarios
  POST /lab/processes/<name>/<kill|stop|start>
  POST /lab/scenarios/<id>                   202; the scenario runs in the background

Who may ask — it can kill processes, so it is strict:
- it listens on 127.0.0.1 only, and refuses a peer that is not 127.0.0.1 (403);
- the `Host` header must name 127.0.0.1 or localhost (so a DNS name rebound to this
  machine cannot reach it from a web page);
- the `Origin` header must be the web client's (`FRONTEND_ORIGINS`, by default
  http://127.0.0.1:3000 and http://localhost:3000): a page of any other site, or a request
  without an Origin, gets 403. CORS answers name only that origin;
- a POST must be `Content-Type: application/json`, which a plain HTML form cannot send.

The processes it acts on come from a `lab` object (`processes()`, `act(name, action)`,
`set_knobs(changes)`, `poison()`): `LabProcesses` below for `make run`, another one in the
browser test. Only the standard library.
"""

import json
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = 4090
ACTIONS = ("kill", "stop", "start")


def allowed_origins():
    raw = os.environ.get("FRONTEND_ORIGINS", "http://127.0.0.1:3000,http://localhost:3000")
    return {origin.strip() for origin in raw.split(",") if origin.strip()}


# ---- the scenarios: several knobs at once, and what to watch -------------------------------

def _down_for(seconds, name="moderation"):
    def steps(lab, say):
        lab.act(name, "kill")
        say(f"{name} killed; it comes back in {seconds} s")
        time.sleep(seconds)
        lab.act(name, "start")
        say(f"{name} started again")
    return steps


def _knobs(**changes):
    def steps(lab, say):
        lab.set_knobs(changes)
        say(f"moderation's knobs: {changes}")
    return steps


def _poison(lab, say):
    say(lab.poison())


def _broker_restarts(lab, say):
    for node in [p["name"] for p in lab.processes() if p["kind"] == "nats"]:
        lab.act(node, "kill")
        say(f"{node} killed")
        time.sleep(5)
        lab.act(node, "start")
        say(f"{node} started again")
        time.sleep(2)


def _all_clear(lab, say):
    lab.set_knobs(None)
    for process in lab.processes():
        if not process["running"]:
            lab.act(process["name"], "start")
    say("knobs back to their defaults; every process running")


SCENARIOS = {
    "moderation-down": ("Moderation is down for 30 s",
                        "Watch COMMENTS/moderation's pending count grow while you write comments, "
                        "and drain when it is back. Nothing is lost.", _down_for(30)),
    "moderation-flaky": ("Moderation fails 50% of the time",
                         "Watch the redelivered counts and the timelines: each failure is retried "
                         "with a backoff; a comment that fails 5 times becomes a dead letter.",
                         _knobs(failRate=0.5)),
    "moderation-slow": ("Moderation is slow (2 s)",
                        "Watch new comments wait as pending for 2 s, and the timeline's "
                        "CommentModerated hop take +2 s.", _knobs(delayMs=2000)),
    "poison": ("A poison message arrives",
               "A message that is not an event lands in COMMENTS. Watch the consumers skip it "
               "and leave a dead-letter note, instead of retrying it forever.", _poison),
    "broker-restarts": ("The broker restarts",
                        "Every nats-server is killed and started again, one at a time. Watch the "
                        "services reconnect and every consumer carry on from where it was.",
                        _broker_restarts),
    "all-clear": ("All clear", "Moderation's knobs back to their defaults, and every process "
                  "that is down started again.", _all_clear),
}


class Scenarios:
    """The scenarios, each run in a thread of its own; what each last said."""

    def __init__(self, lab):
        self.lab = lab
        self.lock = threading.Lock()
        self.running = set()
        self.said = {}

    def describe(self):
        with self.lock:
            return [{"id": key, "title": title, "watch": watch, "running": key in self.running,
                     "said": self.said.get(key)}
                    for key, (title, watch, _) in SCENARIOS.items()]

    def start(self, key):
        with self.lock:
            if key in self.running:
                return False
            self.running.add(key)
        threading.Thread(target=self._run, args=(key,), daemon=True).start()
        return True

    def _run(self, key):
        def say(text):
            with self.lock:
                self.said[key] = text
        try:
            SCENARIOS[key][2](self.lab, say)
        except Exception as error:  # a scenario step failed: say so on the page
            say(f"failed: {error}")
        finally:
            with self.lock:
                self.running.discard(key)


# ---- the HTTP side -------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    lab = None
    scenarios = None
    origins = set()
    port = PORT

    def do_OPTIONS(self):
        if not self._trusted(need_json=False):
            return
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Headers", "content-type")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if not self._trusted(need_json=False):
            return
        if self.path.split("?", 1)[0] != "/lab":
            return self._answer(404, {"error": f"no such endpoint: GET {self.path}"})
        self._answer(200, {"processes": self.lab.processes(), "scenarios": self.scenarios.describe()})

    def do_POST(self):
        if not self._trusted(need_json=True):
            return
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["lab", "processes"]:
            return self._act(parts[2], parts[3])
        if len(parts) == 3 and parts[:2] == ["lab", "scenarios"]:
            key = parts[2]
            if key not in SCENARIOS:
                return self._answer(404, {"error": f"no scenario {key!r}; see GET /lab"})
            if not self.scenarios.start(key):
                return self._answer(409, {"error": f"{SCENARIOS[key][0]!r} is already running"})
            return self._answer(202, {"scenario": key, "watch": SCENARIOS[key][1]})
        self._answer(404, {"error": f"no such endpoint: POST {self.path}"})

    def _act(self, name, action):
        known = {p["name"]: p for p in self.lab.processes()}
        if name not in known:
            return self._answer(404, {"error": f"no process {name!r}; see GET /lab"})
        if action not in ACTIONS:
            return self._answer(404, {"error": f"{action!r} is not one of {', '.join(ACTIONS)}"})
        try:
            self.lab.act(name, action)
        except (OSError, SystemExit) as error:
            return self._answer(500, {"error": f"could not {action} {name}: {error}"})
        now = {p["name"]: p for p in self.lab.processes()}.get(name, {})
        self._answer(200, {"name": name, "action": action, "running": now.get("running", False)})

    def _trusted(self, need_json):
        """Refuses (and answers) any request that is not from the web client on this machine."""
        peer = self.client_address[0]
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        origin = self.headers.get("Origin")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if peer != "127.0.0.1":
            problem = f"only this machine may use the lab controller, not {peer}"
        elif host not in ("127.0.0.1", "localhost"):
            problem = f"the Host header must name 127.0.0.1 or localhost, not {host!r}"
        elif origin not in self.origins:
            problem = (f"only the web client ({', '.join(sorted(self.origins))}) may use the lab "
                       f"controller; this request came from {origin or 'no page at all'}")
        elif need_json and content_type != "application/json":
            problem = "a POST must be Content-Type: application/json"
        else:
            return True
        self._answer(403, {"error": problem}, cors=False)
        return False

    def _cors(self):
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", ""))
        self.send_header("Vary", "Origin")

    def _answer(self, status, body, cors=True):
        data = json.dumps(body).encode()
        self.send_response(status)
        if cors:
            self._cors()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # the actions themselves print what they did


def serve(lab, port=PORT, origins=None):
    """Serves the controller for `lab` in a daemon thread; returns the server (its
    `server_address` has the port; `shutdown()` stops it)."""
    handler = type("LabHandler", (Handler,), {
        "lab": lab, "scenarios": Scenarios(lab),
        "origins": allowed_origins() if origins is None else set(origins), "port": port})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---- `make run`'s processes ------------------------------------------------------------------

def put_knobs(moderation_url, changes):
    """Sets moderation's knobs: `changes` on top of those in force, or (None) back to the
    start-up defaults (the knobs deleted from their KV bucket)."""
    if changes is None:
        request = urllib.request.Request(f"{moderation_url}/knobs", method="DELETE")
    else:
        with urllib.request.urlopen(f"{moderation_url}/knobs", timeout=5) as answer:
            body = {**json.load(answer)["knobs"], **changes}
        request = urllib.request.Request(f"{moderation_url}/knobs", data=json.dumps(body).encode(),
                                         method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5):
        pass


class LabProcesses:
    """What `make run` runs, as the controller sees it: every process but the web client
    (a page does not switch off its own server)."""

    def __init__(self, settings, processes):
        self.settings, self.procs = settings, processes

    def processes(self):
        found = []
        for name in self.settings.available():
            if name == "frontend":
                continue
            kind = "nats" if name.startswith("nats") else "service"
            found.append({"name": name, "kind": kind, "service": name.split("-")[0],
                          "running": bool(self.procs.pid_of(name))})
        return found

    def act(self, name, action):
        {"kill": self.procs.kill, "stop": self.procs.stop, "start": self.procs.start}[action](name)

    def set_knobs(self, changes):
        put_knobs("http://127.0.0.1:4003", changes)

    def poison(self):
        import subprocess
        binary = self.settings.BINARIES / "poison"
        done = subprocess.run([str(binary)], env={**os.environ, **self.settings.broker_env()},
                              capture_output=True, text=True, timeout=20)
        return (done.stdout or done.stderr).strip()
