#!/usr/bin/env python3
"""Page load in a real browser, for the benchmark (`make bench`, its reads figure).

    frontend/tools/page_load.py QUERY_URL FRONTEND_PORT [LOADS]

Serves frontend/dist on FRONTEND_PORT with its config pointing at QUERY_URL (a query the
benchmark has filled: 10k posts, the newest with 100k comments), then loads the page LOADS
times (default 5) in headless Chromium with a cold cache and LOADS times with a warm one,
and reads the mark the web client sets once the first page of posts is on screen
(`posts-shown`, since navigation start). The query must allow the frontend's origin
(`FRONTEND_ORIGINS=http://127.0.0.1:FRONTEND_PORT`).

Prints one JSON line: {"cold": [ms, …], "warm": [ms, …], "posts": n, "comments": n} — posts
shown, and comments shown on the first post — or {"skipped": "why"} when the web client is
not built or Chromium is not installed (`scripts/frontend.sh build`, `scripts/frontend.sh
tools test`). Every process it starts is stopped before it exits.
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

from browser_kit import CHROMEDRIVER, CHROMIUM, Browser, Processes, free_port, http_status, wait_until
from page_kit import POSTS_SHOWN

TOOLS = Path(__file__).resolve().parent
DIST = TOOLS.parent / "dist"

# What is on screen: the posts, and how many comments the first (the big post) shows.
SHOWN = """
const posts = document.querySelectorAll('article.post');
return {posts: posts.length, comments: posts.length ? posts[0].querySelectorAll('li.comment').length : 0};
"""


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    query, port = sys.argv[1], int(sys.argv[2])
    loads = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    missing = [p for p in (DIST / "index.html", Path(CHROMIUM), Path(CHROMEDRIVER)) if not p.exists()]
    if missing:
        print(json.dumps({"skipped": f"{missing[0]} is missing"}))
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="blog-page-load-"))
    procs = Processes(scratch)
    browser = None
    try:
        origin = f"http://127.0.0.1:{port}"
        procs.start("frontend", [sys.executable, str(TOOLS / "serve.py")], {
            "FRONTEND_HOST": "127.0.0.1", "FRONTEND_PORT": str(port),
            "FRONTEND_DIST": str(DIST), "QUERY_URL": query, "POSTS_URL": query, "COMMENTS_URL": query,
        })
        wait_until("the frontend server", lambda: http_status(f"{origin}/config.json") == 200, 20)
        driver_port = free_port()
        procs.start("chromedriver", [CHROMEDRIVER, f"--port={driver_port}"])
        wait_until("chromedriver", lambda: http_status(f"http://127.0.0.1:{driver_port}/status") == 200, 20)
        browser = Browser(f"http://127.0.0.1:{driver_port}", scratch / "profile")

        times = {"cold": [], "warm": []}
        shown = {}
        browser.go(origin)  # once first: the browser itself starts up
        for cache in times:
            for _ in range(loads):
                if cache == "cold":
                    browser.clear_cache()
                browser.go(origin)
                times[cache].append(round(wait_until("the posts-shown mark", lambda: browser.js(POSTS_SHOWN), 30), 1))
                shown = browser.js(SHOWN)
        print(json.dumps({**times, **shown}))
        return 0
    finally:
        if browser is not None:
            browser.quit()
        procs.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
