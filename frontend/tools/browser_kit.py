"""What the browser test is made of: the processes it starts, and a WebDriver client.

`Processes` starts each process in its own process group, logs it to a file, and stops it
(SIGKILL for a crash, SIGTERM for a polite stop). `Browser` drives headless Chromium
through chromedriver's HTTP protocol (WebDriver), so the standard library is all the test
needs. `wait_until` is the one way to wait: it polls with a deadline.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # WebDriver's key for an element reference


class CheckFailed(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, probe, timeout: float, interval: float = 0.1):
    """Polls `probe` until it returns something truthy; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except Exception as err:  # a probe may race a page or a process still starting
            last = err
        time.sleep(interval)
    raise CheckFailed(f"timed out after {timeout:.0f}s waiting for {what} (last seen: {last!r})")


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def http_answer(url: str, limit: int = 600) -> str:
    """`url`'s status and the start of its body, for a failure message."""
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return f"{r.status} {r.read(limit).decode(errors='replace')}"
    except urllib.error.HTTPError as e:
        return f"{e.code} {e.read(limit).decode(errors='replace')}"
    except OSError as e:
        return f"no answer ({e})"


class Processes:
    """The processes this test started, by name, each in its own process group."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(
            argv, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.running[name] = proc
        return proc

    def kill(self, name: str, sig=signal.SIGKILL):
        """Signals `name`'s whole process group (chromedriver's holds Chromium) and reaps it."""
        proc = self.running.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop_all(self):
        # Politely first (the services then close their broker connections), in reverse order.
        for name in reversed(list(self.running)):
            self.kill(name, signal.SIGTERM)

    def tail_logs(self, lines: int = 15):
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- {log.name} (last {len(text)} lines)")
            for line in text:
                print(f"    {line}")


# ---------------------------------------------------------------------------------------
# WebDriver over HTTP


class Browser:
    def __init__(self, base: str, profile: Path):
        self.base = base
        args = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={profile}", "--window-size=1280,1000",
        ]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"WebDriver {method} {path}: {e.read().decode(errors='replace')[:400]}")

    def _s(self, method: str, path: str, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def go(self, url: str):
        self._s("POST", "/url", {"url": url})

    def js(self, script: str, *args):
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        return self._s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def type(self, css: str, text: str):
        self._s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str):
        self._s("POST", f"/element/{self.find(css)}/click", {})

    def clear_cache(self):
        """Empties Chromium's HTTP cache (a chromedriver extension), for a cold load."""
        self._s("POST", "/goog/cdp/execute", {"cmd": "Network.clearBrowserCache", "params": {}})

    def resize(self, width: int, height: int):
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path: Path):
        path.write_bytes(base64.b64decode(self._s("GET", "/screenshot")))

    def full_screenshot(self, path: Path):
        """The whole page, not only what fits the window: the window is made as tall as the
        page for the shot, then put back."""
        rect = self._s("GET", "/window/rect")
        chrome = rect["height"] - self.js("return window.innerHeight")
        page = self.js("return document.documentElement.scrollHeight")
        self.resize(rect["width"], max(rect["height"], page + chrome))
        try:
            self.screenshot(path)
        finally:
            self.resize(rect["width"], rect["height"])

    def quit(self):
        try:
            self._s("DELETE", "")
        except Exception:
            pass
