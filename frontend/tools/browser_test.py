#!/usr/bin/env python3
"""The web client's browser test (issue 3): the whole system, driven through real Chromium.

It starts its own nats-server (random port, temporary store), the four release services and
the frontend server on random free ports, so it never clashes with a `make run` beside it.
Then it drives headless Chromium through chromedriver, speaking WebDriver's HTTP protocol
directly (the standard library is all it needs), and checks what a learner would see:

  - a post and two comments created through the page; the comment with "orange" ends up
    "This comment has been rejected" and the other shows its text — with no reload;
  - with comments down, the form says so and keeps the typed text;
  - with query killed (SIGKILL), the banner appears, the posts stay, and a comment can
    still be written; with query back, the banner goes and the page is current again.

Every wait polls with a deadline. Every process started here is stopped at the end, pass
or fail. The final page's screenshot and every process's log go to frontend/test-output/.
Prints the shipped wasm's size and the time from navigation to posts on screen.

    scripts/frontend.sh test          builds what is needed, then runs this
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
OUTPUT = ROOT / "frontend" / "test-output"
RELEASE = ROOT / "target" / "release"
NATS_SERVER = Path(os.environ.get("NATS_SERVER", ROOT / ".tools" / "nats" / "bin" / "nats-server"))
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

    def quit(self):
        try:
            self._s("DELETE", "")
        except Exception:
            pass


# What the page shows, read in one go (so a check never sees half a re-render).
PAGE_STATE = """
const banner = document.getElementById('read-side-banner');
return {
  marker: window.__browserTestMarker || null,
  banner: banner ? banner.innerText : null,
  status: (document.getElementById('link-status') || {}).innerText || null,
  posts: Array.from(document.querySelectorAll('article.post')).map(a => ({
    id: a.dataset.postId,
    title: a.querySelector('h3').innerText,
    comments: Array.from(a.querySelectorAll('li.comment')).map(li => ({
      id: li.dataset.commentId, status: li.dataset.status, text: li.innerText })),
    error: Array.from(a.querySelectorAll('.form-error')).filter(e => !e.hidden).map(e => e.innerText).join(' '),
    input: (a.querySelector('input') || {}).value,
  })),
};
"""

POSTS_SHOWN = "return performance.getEntriesByName('posts-shown').map(e => e.startTime)[0] || null"


# ---------------------------------------------------------------------------------------
# The test


def main() -> int:
    for path in [NATS_SERVER, *(RELEASE / s for s in ("posts", "comments", "moderation", "query")), DIST / "index.html"]:
        if not Path(path).exists():
            print(f"browser test: {path} is missing (scripts/frontend.sh test builds what it needs)")
            print("0 passed, 1 failed")
            return 1

    OUTPUT.mkdir(parents=True, exist_ok=True)
    logs = OUTPUT / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    scratch = Path(tempfile.mkdtemp(prefix="blog-browser-test-"))
    procs = Processes(logs)
    passed, failed = [], []
    browser = None

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)

    wasm = sorted(DIST.glob("*.wasm"))
    wasm_bytes = wasm[0].stat().st_size if wasm else 0
    print(f"shipped wasm (after wasm-opt): {wasm_bytes} bytes ({wasm_bytes // 1024} KiB)")

    def check(name: str, body):
        try:
            body()
        except (CheckFailed, RuntimeError, AssertionError) as err:
            failed.append(name)
            print(f"FAIL {name}: {err}")
            raise
        passed.append(name)
        print(f"ok   {name}")

    try:
        # --- the system, on random ports ---------------------------------------------
        nats_port = free_port()
        procs.start("nats", [str(NATS_SERVER), "-a", "127.0.0.1", "-p", str(nats_port), "-js",
                             "-sd", str(scratch / "jetstream")])
        wait_until("nats-server to listen", lambda: socket.create_connection(("127.0.0.1", nats_port), 1).close() or True, 20)

        ports = {name: free_port() for name in ("posts", "comments", "moderation", "query", "frontend")}
        origin = f"http://127.0.0.1:{ports['frontend']}"
        urls = {name: f"http://127.0.0.1:{ports[name]}" for name in ports}

        def start_service(name: str):
            procs.start(name, [str(RELEASE / name)], {
                "HOST": "127.0.0.1", "PORT": str(ports[name]), "NATS_URL": f"nats://127.0.0.1:{nats_port}",
                "FRONTEND_ORIGINS": origin, "QUERY_INSTANCE": "browser_test", "RUST_LOG": "info",
            })

        def healthy(name: str, timeout: float = 60):
            wait_until(f"{name} /health", lambda: http_status(f"{urls[name]}/health") == 200, timeout)

        for name in ("posts", "comments", "moderation", "query"):
            start_service(name)
        for name in ("posts", "comments", "moderation", "query"):
            healthy(name)
        procs.start("frontend", [sys.executable, str(ROOT / "frontend" / "tools" / "serve.py")], {
            "FRONTEND_HOST": "127.0.0.1", "FRONTEND_PORT": str(ports["frontend"]), "FRONTEND_DIST": str(DIST),
            "POSTS_URL": urls["posts"], "COMMENTS_URL": urls["comments"], "QUERY_URL": urls["query"],
        })
        wait_until("the frontend server", lambda: http_status(f"{origin}/config.json") == 200, 20)

        driver_port = free_port()
        procs.start("chromedriver", [CHROMEDRIVER, f"--port={driver_port}"])
        wait_until("chromedriver", lambda: http_status(f"http://127.0.0.1:{driver_port}/status") == 200, 20)
        browser = Browser(f"http://127.0.0.1:{driver_port}", scratch / "profile")

        def state():
            return browser.js(PAGE_STATE)

        def the_post():
            posts = state()["posts"]
            return posts[0] if posts else None

        # --- 1. the page loads and goes live -----------------------------------------
        def page_loads():
            browser.go(origin)
            wait_until("the page to go live", lambda: state()["status"] == "Live", 30)
            shown = wait_until("the posts-shown mark", lambda: browser.js(POSTS_SHOWN), 10)
            print(f"     page load (navigation start) -> posts list shown: {shown:.0f} ms (cold cache, empty list)")
            # Survives only if the page is never reloaded: checked at every later step.
            browser.js("window.__browserTestMarker = 'no reload'")
        check("the page loads, connects to query and shows the (empty) list", page_loads)

        def no_reload():
            assert state()["marker"] == "no reload", "the page was reloaded"

        # --- 2. a post and two comments, through the page ----------------------------
        title = "Hello from the browser test <b>not bold</b>"
        liked = "I like apples & pears <script>alert(1)</script>"
        orange = "I love orange juice"

        def create_post_and_comments():
            browser.type("#post-title", title + "\n")  # Enter submits: keyboard use
            post = wait_until("the new post on the page", the_post, 10)
            assert post["title"] == title, f"title shown as {post['title']!r}"
            wait_until("the title box to be cleared", lambda: browser.js("return document.getElementById('post-title').value") == "", 5)
            comment_box = f'[id="comment-{post["id"]}"]'
            browser.type(comment_box, liked)
            browser.click(f'article[data-post-id="{post["id"]}"] button[type=submit]')
            wait_until("the first comment to show at once",
                       lambda: len(the_post()["comments"]) == 1 and the_post()["input"] == "", 5, 0.02)
            browser.type(comment_box, orange + "\n")
            wait_until("the second comment to show", lambda: len(the_post()["comments"]) == 2, 5, 0.02)
            no_reload()
        check("a post and two comments are created through the page", create_post_and_comments)

        def moderated_live():
            def decided():
                texts = [c["text"] for c in the_post()["comments"]]
                return liked in texts and "This comment has been rejected" in texts and texts
            texts = wait_until("one approved comment and one rejected", decided, 30)
            page_text = browser.js("return document.body.innerText")
            assert orange not in page_text, "the rejected comment's text is on the page"
            assert browser.js("return document.querySelectorAll('article.post b, li.comment script').length") == 0, \
                "user text was rendered as HTML"
            no_reload()
            print(f"     comments shown: {texts}")
        check("moderation decisions appear without a reload; user text stays text", moderated_live)

        # --- 3. a write side service down -------------------------------------------
        def comments_down():
            post = the_post()
            procs.kill("comments")
            typed = "Typed while comments is down"
            browser.type(f'[id="comment-{post["id"]}"]', typed + "\n")
            error = wait_until("an error under the comment form", lambda: the_post()["error"], 10)
            assert "comments service" in error, f"error reads {error!r}"
            assert the_post()["input"] == typed, f"the box holds {the_post()['input']!r}"
            print(f"     error shown: {error!r}")
            start_service("comments")
            healthy("comments")
            browser.click(f'article[data-post-id="{post["id"]}"] button[type=submit]')
            wait_until("the retried comment to be accepted",
                       lambda: any(c["text"] == typed for c in the_post()["comments"]) and not the_post()["error"], 30)
            no_reload()
        check("with comments down the form explains and keeps the text; a retry works", comments_down)

        # --- 4. the read side down, and back -----------------------------------------
        during = "Written while query is down"

        def query_down():
            procs.kill("query")  # SIGKILL: a crash
            banner = wait_until("the read-side banner", lambda: state()["banner"], 15)
            assert "read side is unavailable" in banner.lower(), f"banner reads {banner!r}"
            post = the_post()
            assert post and post["title"] == title, "the posts went away with query"
            browser.type(f'[id="comment-{post["id"]}"]', during + "\n")
            wait_until("the comment written during the outage to show as pending",
                       lambda: len(the_post()["comments"]) == 4
                       and [c["status"] for c in the_post()["comments"]].count("pending") == 1, 10)
            browser.screenshot(OUTPUT / "query-down.png")
            no_reload()
        check("with query killed the banner appears and the posts stay", query_down)

        def query_back():
            start_service("query")
            wait_until("the banner to go", lambda: state()["banner"] is None and state()["status"] == "Live", 60)
            def current():
                texts = [c["text"] for c in the_post()["comments"]]
                return during in texts and liked in texts and "This comment has been rejected" in texts and texts
            texts = wait_until("the page to show every post and comment again", current, 30)
            no_reload()
            print(f"     comments shown: {texts}")
            browser.screenshot(OUTPUT / "browser-test.png")
        check("with query back the banner goes and the page is current, without a reload", query_back)

        # --- 5. a fresh load, with data ------------------------------------------------
        def reload_with_data():
            for cache in ("cold", "warm"):
                times = []
                for _ in range(3):
                    if cache == "cold":
                        browser.clear_cache()
                    browser.go(origin)
                    wait_until("the post after a reload", lambda: the_post() and len(the_post()["comments"]) == 4, 30)
                    times.append(wait_until("the posts-shown mark", lambda: browser.js(POSTS_SHOWN), 10))
                times.sort()
                print(f"     page load (navigation start) -> posts shown, {cache} cache: median {times[1]:.0f} ms "
                      f"of {', '.join(f'{t:.0f}' for t in times)} (1 post, 4 comments)")
            browser.screenshot(OUTPUT / "browser-test.png")
            browser.resize(390, 844)  # a phone's width, for a look at the narrow layout
            wide = browser.js("return document.documentElement.scrollWidth > window.innerWidth")
            assert not wide, "the page scrolls sideways at a phone's width"
            browser.screenshot(OUTPUT / "browser-test-phone.png")
        check("a fresh load shows the same state, and fits a phone's width", reload_with_data)

    except Exception as err:
        if not isinstance(err, (CheckFailed, RuntimeError, AssertionError)) or not failed:
            # Not raised by a check (the system did not start, or this script has a bug).
            failed.append("setup")
            print(f"FAIL setting up: {type(err).__name__}: {err}")
        procs.tail_logs()
        if browser is not None:
            try:
                browser.screenshot(OUTPUT / "browser-test-failure.png")
            except Exception:
                pass
    except KeyboardInterrupt:
        failed.append("interrupted")
    finally:
        if browser is not None:
            browser.quit()
        procs.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"browser test: {'PASS' if not failed else 'FAIL'} (screenshots and logs in {OUTPUT.relative_to(ROOT)}/)")
    print(f"{len(passed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
