#!/usr/bin/env python3
"""The web client's browser test (issues 3 and 4): the whole system, driven through real Chromium.

It starts its own nats-server (random port, temporary store), the four services (target/$SERVICES_PROFILE: debug from `scripts/frontend.sh test`) and
the frontend server on random free ports, so it never clashes with a `make run` beside it.
Then it drives headless Chromium through chromedriver, speaking WebDriver's HTTP protocol
directly (the standard library is all it needs, see browser_kit.py), and checks what a
learner would see:

  - a post and two comments created through the page; the comment with "orange" ends up
    "This comment has been rejected" and the other shows its text — with no reload;
  - with comments down, the form says so and keeps the typed text; submitting it again once
    comments is back sends the same Idempotency-Key (every new submit a new one), and the
    comment shows once;
  - with query killed (SIGKILL), the banner appears, the posts stay, and a comment can
    still be written; with query back, the banner goes and the page is current again;
  - the recovery lab (issue 4): the System view, opened with the keyboard, shows the four
    services up; with moderation killed (SIGKILL) it shows it down, and a comment written
    meanwhile waits in COMMENTS/moderation's pending count; with moderation back, the
    backlog drains to 0 and the comment is approved; the comment's timeline, opened while
    it was pending, fills in by itself: CommentCreated → CommentModerated → CommentUpdated;
  - dead letters: with moderation failing every attempt (MODERATION_FAIL_FIRST=5) two
    comments become dead letters after five deliveries; each comment says "Moderation gave
    up: …, retried automatically (attempt 1 of 1, next in …)" and each letter when query
    retries it (QUERY_REDRIVE=5m: never within the test); with the cause gone, Retry gets
    one moderated and its button stays disabled, and "Retry all" the other;
  - with query killed, the System view shows query down, the others unknown (not their
    stale state as current) and a banner; with query back, all is up again.

Every wait polls with a deadline. Every process started here is stopped at the end, pass
or fail. Screenshots (the posts view, the System view) and every process's log go to
frontend/test-output/. Prints the shipped wasm's size and the time from navigation to posts
on screen.

    scripts/frontend.sh test          builds what is needed, then runs this
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from browser_kit import CHROMEDRIVER, Browser, CheckFailed, Processes, free_port, http_status, wait_until

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist"
OUTPUT = ROOT / "frontend" / "test-output"
# The services' binaries: target/debug unless SERVICES_PROFILE says otherwise.
SERVICES = ROOT / "target" / os.environ.get("SERVICES_PROFILE", "release")
NATS_SERVER = Path(os.environ.get("NATS_SERVER", ROOT / ".tools" / "nats" / "bin" / "nats-server"))

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
      id: li.dataset.commentId, status: li.dataset.status,
      text: li.querySelector('.comment-text').innerText,
      gaveUp: (li.querySelector('.gave-up') || {}).innerText || null,
      gaveUpLetter: (li.querySelector('.gave-up') || {dataset: {}}).dataset.deadLetterId || null })),
    error: Array.from(a.querySelectorAll('.form-error')).filter(e => !e.hidden).map(e => e.innerText).join(' '),
    input: (a.querySelector('input') || {}).value,
  })),
};
"""

POSTS_SHOWN = "return performance.getEntriesByName('posts-shown').map(e => e.startTime)[0] || null"

# What the System view shows, in one go.
SYSTEM_STATE = """
const view = document.getElementById('system-view');
const banner = document.getElementById('system-banner');
return {
  hash: location.hash,
  shown: !!view && !view.hidden,
  postsShown: !document.getElementById('posts-view').hidden,
  focused: document.activeElement ? document.activeElement.id : null,
  banner: banner ? banner.innerText : null,
  services: Object.fromEntries(Array.from(document.querySelectorAll('.service-card')).map(c => [
    c.dataset.service,
    { state: c.dataset.state, instances: c.dataset.instances === undefined ? null : +c.dataset.instances,
      backlog: c.dataset.backlog === undefined ? null : +c.dataset.backlog, text: c.innerText }])),
  streams: Object.fromEntries(Array.from(document.querySelectorAll('article.stream')).map(s => [
    s.dataset.stream, +s.dataset.messages])),
  consumers: Object.fromEntries(Array.from(document.querySelectorAll('article.stream')).flatMap(s =>
    Array.from(s.querySelectorAll('tr.consumer')).map(r => [s.dataset.stream + '/' + r.dataset.consumer,
      { pending: +r.dataset.pending, ackPending: +r.dataset.ackPending, redelivered: +r.dataset.redelivered }]))),
  deadLetters: Array.from(document.querySelectorAll('li.dead-letter')).map(d => {
    const button = d.querySelector('button.retry');
    const error = d.querySelector('.retry-error');
    return { id: d.dataset.deadLetterId, retried: d.dataset.retried === 'true', text: d.innerText,
             button: button.innerText, disabled: button.disabled,
             redrive: (d.querySelector('.dead-letter-redrive') || {}).innerText || null,
             error: error && !error.hidden ? error.innerText : null };
  }),
  retryAll: (b => b && { text: b.innerText, disabled: b.disabled })(document.getElementById('retry-all')),
  retryAllNote: (document.getElementById('retry-all-note') || {}).innerText || null,
};"""

# Records every request's Idempotency-Key (the app's fetches go through window.fetch).
RECORD_KEYS = """
window.__writes = [];
const fetch = window.fetch.bind(window);
window.fetch = (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  if (request.method === 'POST') {
    window.__writes.push({ url: request.url, key: request.headers.get('Idempotency-Key') });
  }
  return fetch(input, init);
};
"""

# One comment's open timeline (arguments[0]: the comment id), or null when it is closed.
TIMELINE_STATE = """
const li = document.querySelector(`li.comment[data-comment-id="${arguments[0]}"]`);
const panel = li && li.querySelector('.timeline');
if (!panel) return null;
const text = sel => { const e = panel.querySelector(sel); return e ? e.innerText : null; };
return {
  expanded: li.querySelector('button.timeline-toggle').getAttribute('aria-expanded'),
  types: Array.from(panel.querySelectorAll('li.hop')).map(h => h.dataset.type),
  sources: Array.from(panel.querySelectorAll('li.hop')).map(h => h.dataset.source),
  summary: text('.timeline-summary'),
  correlation: text('.correlation code'),
  problem: text('.timeline-problem'),
};
"""

ENTER = "\ue007"  # WebDriver's code for the Enter key

# What sticks out past the right edge of the window (empty when the page fits its width).
SIDEWAYS = """
const out = Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
return document.documentElement.scrollWidth > window.innerWidth ? out.slice(0, 5) : [];
"""


# ---------------------------------------------------------------------------------------
# The test


def main() -> int:
    for path in [NATS_SERVER, *(SERVICES / s for s in ("posts", "comments", "moderation", "query", "provision")), DIST / "index.html"]:
        if not Path(path).exists():
            print(f"browser test: {path} is missing (scripts/frontend.sh test builds what it needs)")
            print("0 passed, 1 failed")
            return 1

    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "browser-test-failure.png").unlink(missing_ok=True)  # only this run's, if any
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
        # The repository's users and permissions (nats/auth.conf), as `make run` has them: each
        # password from the environment or its lab default, the streams provisioned as admin.
        for user in ("posts", "comments", "moderation", "query", "admin", "learner"):
            os.environ.setdefault(f"NATS_PASSWORD_{user.upper()}", f"lab-{user}")
        shutil.copy(ROOT / "nats" / "auth.conf", scratch / "auth.conf")
        (scratch / "nats.conf").write_text(f"listen: 127.0.0.1:{nats_port}\n"
                                           f"jetstream {{ store_dir: {json.dumps(str(scratch / 'jetstream'))} }}\n"
                                           "include auth.conf\n")
        procs.start("nats", [str(NATS_SERVER), "-c", str(scratch / "nats.conf")])
        wait_until("nats-server to listen", lambda: socket.create_connection(("127.0.0.1", nats_port), 1).close() or True, 20)
        subprocess.run([str(SERVICES / "provision")], check=True, timeout=60,
                       env={**os.environ, "NATS_URL": f"nats://127.0.0.1:{nats_port}"})

        ports = {name: free_port() for name in ("posts", "comments", "moderation", "query", "frontend")}
        origin = f"http://127.0.0.1:{ports['frontend']}"
        urls = {name: f"http://127.0.0.1:{ports[name]}" for name in ports}

        def start_service(name: str, env: dict | None = None):
            procs.start(name, [str(SERVICES / name)], {
                "HOST": "127.0.0.1", "PORT": str(ports[name]), "NATS_URL": f"nats://127.0.0.1:{nats_port}",
                "FRONTEND_ORIGINS": origin, "QUERY_INSTANCE": "browser_test", "RUST_LOG": "info",
                # One automatic retry, too late to happen during the test: the page shows it
                # scheduled, and the manual Retry and Retry all are what the test presses.
                "QUERY_REDRIVE": "5m",
                **(env or {}),
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
            browser.js(RECORD_KEYS)
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
            shown = [c["text"] for c in the_post()["comments"]].count(typed)
            assert shown == 1, f"the retried comment shows {shown} times"
            writes = browser.js("return window.__writes")
            keys = [w["key"] for w in writes]
            assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", k or "") for k in keys), \
                f"not a uuid v4 on every write: {writes}"
            # post, comment, comment, failed comment, its retry: the retry reuses its key.
            assert len(writes) == 5 and keys[3] == keys[4], f"the retry did not reuse its key: {writes}"
            assert len(set(keys[:4])) == 4, f"two submits shared a key: {writes}"
            print(f"     Idempotency-Key of the failed submit and of its retry: {keys[3]}")
            no_reload()
        check("with comments down the form explains and keeps the text; a retry sends the same key and writes once",
              comments_down)

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

        # --- 6. the recovery lab: the System view --------------------------------------
        def system():
            return browser.js(SYSTEM_STATE)

        def show(page: str):
            """Follows the header's link to `page` with the keyboard (focus it, press Enter)."""
            browser.type(f'a.page-link[href="#{page}"]', ENTER)
            wait_until(f"the {page} view", lambda: (system()["shown"] if page == "system" else system()["postsShown"]), 5)

        def every_service(state: str):
            def probe():
                services = system()["services"]
                wanted = ("posts", "comments", "moderation", "query")
                return all(services.get(n, {}).get("state") == state for n in wanted) and services
            return probe

        def system_view_opens():
            # The step before reloaded the page; from here on, again, nothing may reload it.
            browser.js("window.__browserTestMarker = 'no reload'")
            # Still at the phone's width from the step before: the view must work there too.
            show("system")
            now = system()
            assert now["hash"] == "#system" and not now["postsShown"], f"hash {now['hash']!r}"
            assert now["focused"] == "system-heading", f"the focus is on {now['focused']!r}, not the view's heading"
            services = wait_until("all four services up", every_service("up"), 15)
            assert all(services[n]["instances"] >= 1 for n in services), f"instance counts: {services}"
            wait_until("the streams and moderation's consumer",
                       lambda: "COMMENTS/moderation" in system()["consumers"] and len(system()["streams"]) >= 4, 10)
            wide = browser.js(SIDEWAYS)
            assert not wide, f"the System view scrolls sideways at a phone's width: {wide}"
            browser.screenshot(OUTPUT / "system-view-phone.png")
            browser.resize(1280, 1000)
            now = system()
            shown = ", ".join(f"{n} {v['state']} ({v['instances']})" for n, v in now["services"].items())
            print(f"     services: {shown}")
            print(f"     streams: {now['streams']}")
            no_reload()
        check("the System view opens with the keyboard and shows the four services up", system_view_opens)

        def moderation_killed():
            procs.kill("moderation")  # SIGKILL: a crash
            wait_until("moderation shown down", lambda: system()["services"]["moderation"]["state"] == "down", 15)
            others = system()["services"]
            assert all(others[n]["state"] == "up" for n in ("posts", "comments", "query")), f"services: {others}"
        check("with moderation killed (SIGKILL) the System view shows it down", moderation_killed)

        waiting = "Written while moderation is down"
        waiting_id = {}

        def comment_waits():
            show("posts")
            post = the_post()
            before = {c["id"] for c in post["comments"]}
            browser.type(f'[id="comment-{post["id"]}"]', waiting + "\n")
            def new_comment():
                return next((c for c in the_post()["comments"] if c["id"] not in before and c["status"] == "pending"), None)
            comment = wait_until("the new comment, pending", new_comment, 10)
            waiting_id["id"] = comment["id"]
            # Open its timeline now, with the keyboard; it must fill in by itself later.
            browser.type(f'li.comment[data-comment-id="{comment["id"]}"] button.timeline-toggle', ENTER)
            timeline = wait_until("the pending comment's timeline: CommentCreated only",
                                  lambda: (t := browser.js(TIMELINE_STATE, comment["id"])) and t["types"] == ["CommentCreated"] and t, 15)
            assert timeline["expanded"] == "true", f"aria-expanded is {timeline['expanded']!r}"
            show("system")
            def backlog():
                now = system()
                pending = now["consumers"].get("COMMENTS/moderation", {}).get("pending", 0)
                return pending >= 1 and now
            now = wait_until("COMMENTS/moderation pending >= 1", backlog, 15)
            moderation = now["services"]["moderation"]
            assert moderation["backlog"] and moderation["backlog"] >= 1, f"moderation's card: {moderation}"
            print(f"     COMMENTS/moderation: {now['consumers']['COMMENTS/moderation']}; moderation's card: {moderation['text']!r}")
            browser.full_screenshot(OUTPUT / "system-moderation-down.png")
        check("a comment written meanwhile waits in COMMENTS/moderation's pending count", comment_waits)

        def moderation_back():
            start_service("moderation")
            def drained():
                now = system()
                consumer = now["consumers"].get("COMMENTS/moderation", {})
                return (now["services"]["moderation"]["state"] == "up" and consumer.get("pending") == 0
                        and consumer.get("ackPending") == 0 and now)
            now = wait_until("moderation up and its backlog drained to 0", drained, 60)
            print(f"     COMMENTS/moderation: {now['consumers']['COMMENTS/moderation']}")
            show("posts")
            wait_until("the waiting comment approved", lambda: any(
                c["id"] == waiting_id["id"] and c["status"] == "approved" and c["text"] == waiting
                for c in the_post()["comments"]), 30)
            no_reload()
        check("with moderation back it is up, the backlog drains to 0 and the comment is approved", moderation_back)

        def timeline_fills_in():
            chain = ["CommentCreated", "CommentModerated", "CommentUpdated"]
            def whole():
                t = browser.js(TIMELINE_STATE, waiting_id["id"])
                return t and t["types"] == chain and t
            timeline = wait_until("the open timeline to show the whole chain", whole, 20)
            assert timeline["sources"] == ["comments", "moderation", "comments"], f"sources: {timeline['sources']}"
            assert re.fullmatch(r"CommentCreated → CommentModerated \+\S+ \S+( \S+ \S+)? → CommentUpdated \+\S+ \S+( \S+ \S+)?",
                                timeline["summary"] or ""), f"summary: {timeline['summary']!r}"
            assert re.fullmatch(r"[0-9a-f-]{36}", timeline["correlation"] or ""), f"correlation id: {timeline['correlation']!r}"
            print(f"     timeline: {timeline['summary']}  (correlation id {timeline['correlation']})")
            browser.js("document.querySelector(`li.comment[data-comment-id='${arguments[0]}']`).scrollIntoView({block: 'center'})",
                       waiting_id["id"])
            browser.screenshot(OUTPUT / "posts-timeline.png")
        check("the comment's open timeline fills in by itself: CommentCreated → CommentModerated → CommentUpdated",
              timeline_fills_in)

        # --- 7. dead letters, and Retry ---------------------------------------------------
        failing = ["Moderated only after a retry", "Moderated after Retry all"]
        letter = {}

        def dead_letter_appears():
            procs.kill("moderation", signal.SIGTERM)
            start_service("moderation", {"MODERATION_FAIL_FIRST": "5"})  # every delivery fails
            healthy("moderation")
            post = the_post()
            before = {c["id"] for c in post["comments"]}
            for text in failing:
                browser.type(f'[id="comment-{post["id"]}"]', text + "\n")
                wait_until("the comment to show", lambda: any(c["text"] == "This comment is awaiting moderation"
                           and c["id"] not in before for c in the_post()["comments"]), 10)
                before |= {c["id"] for c in the_post()["comments"]}
            new = [c["id"] for c in the_post()["comments"] if c["status"] == "pending"]
            assert len(new) == 2, f"pending comments: {new}"
            # Five deliveries with backoff 0.25 s, 1 s, 2 s, 4 s between them: about 7 s.
            def gave_up():
                stuck = [c for c in the_post()["comments"] if c["id"] in new and c["gaveUp"]]
                return len(stuck) == 2 and stuck
            stuck = wait_until("both comments to say moderation gave up", gave_up, 40)
            for comment in stuck:
                assert re.fullmatch(r"Moderation gave up: [^.]*simulated failure[^.]*\. It is retried "
                                    r"automatically \(attempt 1 of 1, next in [0-9]+ min [0-9]{2} s\)\.", comment["gaveUp"]), \
                    f"it reads {comment['gaveUp']!r}"
            letter["comments"] = {c["gaveUpLetter"]: c["id"] for c in stuck}
            print(f"     under the comment: {stuck[0]['gaveUp']!r}")
            show("system")
            found = wait_until("two dead letters", lambda: len(system()["deadLetters"]) == 2 and system()["deadLetters"], 10)
            for one in found:
                assert "COMMENTS / moderation" in one["text"] and "5 deliveries" in one["text"], f"it reads {one['text']!r}"
                assert one["button"] == "Retry" and not one["disabled"], f"its button: {one}"
                assert re.fullmatch(r"Retried automatically: attempt 1 of 1, next in [0-9]+ min [0-9]{2} s\.", one["redrive"] or ""), \
                    f"its re-drive reads {one['redrive']!r}"
            assert set(letter["comments"]) == {one["id"] for one in found}, f"letters {found} vs comments {letter}"
            retry_all = system()["retryAll"]
            assert retry_all == {"text": "Retry all (2)", "disabled": False}, f"Retry all: {retry_all}"
            letter["id"] = found[-1]["id"]  # the older one
            print(f"     dead letter: {' | '.join(found[-1]['text'].splitlines()[:4])}")
        check("with every moderation attempt failing, comments become dead letters after 5 deliveries, and say so",
              dead_letter_appears)

        def retry_works():
            procs.kill("moderation", signal.SIGTERM)  # the cause goes away: a fixed moderation
            start_service("moderation")
            wait_until("moderation up", lambda: system()["services"]["moderation"]["state"] == "up", 30)
            browser.click(f'li.dead-letter[data-dead-letter-id="{letter["id"]}"] button.retry')
            def retried():
                d = next((d for d in system()["deadLetters"] if d["id"] == letter["id"]), None)
                assert d is None or d["error"] is None, f"the retry failed: {d['error']!r}"
                return d and d["retried"] and d["disabled"] and d["button"] == "Retried" and d
            wait_until("the letter shown as retried, its button disabled", retried, 15)
            wait_until("Retry all to count one letter", lambda: system()["retryAll"]["text"] == "Retry all (1)", 10)
            browser.click("#retry-all")
            wait_until("Retry all to say what it did", lambda: system()["retryAllNote"] == "1 dead letter put back into its stream.", 15)
            wait_until("every letter retried, Retry all disabled", lambda: all(d["retried"] for d in system()["deadLetters"])
                       and system()["retryAll"] == {"text": "Retry all (0)", "disabled": True}, 15)
            browser.full_screenshot(OUTPUT / "system-view.png")
            show("posts")
            wait_until("both retried comments approved, the gave-up lines gone", lambda: all(
                c["status"] == "approved" and c["gaveUp"] is None
                for c in the_post()["comments"] if c["id"] in letter["comments"].values()), 30)
            no_reload()
        check("with the cause gone, Retry and Retry all put them back, the comments are approved, the buttons stay disabled",
              retry_works)

        # --- 8. the System view without query ---------------------------------------------
        def system_without_query():
            show("system")
            procs.kill("query")  # SIGKILL: the view's own source is gone
            def honest():
                now = system()
                services = now["services"]
                others = all(services[n]["state"] == "unknown" for n in ("posts", "comments", "moderation"))
                return now["banner"] and services["query"]["state"] == "down" and others and now
            now = wait_until("query down, the others unknown, and a banner", honest, 15)
            assert "cannot be reached" in now["banner"], f"the banner reads {now['banner']!r}"
            assert all(v["instances"] is None for v in now["services"].values()), \
                f"stale instance counts shown as current: {now['services']}"
            start_service("query")
            wait_until("every service up again and the banner gone",
                       lambda: every_service("up")() and system()["banner"] is None, 60)
            no_reload()
        check("with query killed the System view says what it cannot know, and recovers with query", system_without_query)

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
