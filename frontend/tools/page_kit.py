"""The page as the scenarios see it: what each screen shows, read in one go (so a check
never sees half a re-render), and the few gestures they make with it.

`Page` wraps a `browser_kit.Browser`: `state()` reads the posts view, `system()` the System
view, `timeline(id)` one open timeline; `show("system")` follows a header link with the
keyboard; `mark_no_reload()` and `no_reload()` prove that a step happened without a reload.
"""

from browser_kit import Browser, wait_until

ENTER = "\ue007"  # WebDriver's code for the Enter key

# What the posts view shows.
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

# What the System view shows.
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
  nodes: Object.fromEntries(Array.from(document.querySelectorAll('li.node')).map(n => [
    n.dataset.node, n.dataset.up === 'true'])),
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

# The lab console: each process's row, the scenarios, the knobs form.
CONSOLE_STATE = """
const text = id => (document.getElementById(id) || {}).innerText || null;
return {
  disabled: text('console-disabled'),
  result: text('console-result'),
  processes: Object.fromEntries(Array.from(document.querySelectorAll('li.process')).map(p => [
    p.dataset.process, { running: p.dataset.running === 'true', kind: p.dataset.kind,
      kill: !p.querySelector('button.kill').disabled, start: !p.querySelector('button.start').disabled }])),
  scenarios: Array.from(document.querySelectorAll('li.scenario')).map(s => s.dataset.scenario),
  knobs: { delay: (document.getElementById('knob-delay') || {}).value,
           manual: (document.getElementById('knob-manual') || {}).checked,
           origin: text('knobs-origin'), problem: text('knobs-problem') },
};"""

# The Moderator page: the comments waiting for a person.
MODERATOR_STATE = """
return {
  empty: (document.getElementById('moderator-empty') || {}).innerText || null,
  problem: (document.getElementById('moderator-problem') || {}).innerText || null,
  waiting: Array.from(document.querySelectorAll('li.waiting')).map(w => ({
    id: w.dataset.commentId, text: w.querySelector('.waiting-text').innerText })),
};"""

# The Streams page: the tape as drawn, top to bottom — the cursors above the rows, then
# each message row followed by the cursors drawn after it.
STREAMS_STATE = """
const view = document.getElementById('streams-view');
const cursor = c => ({ kind: 'cursor', consumer: c.dataset.consumer, acked: +c.dataset.acked,
                       pending: +c.dataset.pending, text: c.innerText });
const above = Array.from(document.querySelectorAll('#streams-view section > p.cursor')).map(cursor);
const rows = Array.from(document.querySelectorAll('#streams-view ol.tape > li.tape-row')).flatMap(li => {
  const details = li.querySelector('details');
  return [{ kind: 'message', seq: +li.dataset.seq, type: li.dataset.type,
            summary: li.querySelector('.tape-summary').innerText,
            waiting: li.classList.contains('waiting'),
            waitingText: li.querySelector('.tape-waiting').innerText,
            open: details.open, body: details.open ? li.querySelector('pre').innerText : null },
          ...Array.from(li.querySelectorAll('p.cursor')).map(cursor)];
});
const focused = document.activeElement && document.activeElement.closest('li.tape-row');
return {
  shown: !!view && !view.hidden,
  hash: location.hash,
  tab: (document.querySelector('a.stream-tab[aria-current="page"]') || {}).innerText || null,
  ends: (document.querySelector('.tape-ends') || {}).innerText || null,
  focusedSeq: focused ? +focused.dataset.seq : null,
  lines: above.concat(rows),
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

# What sticks out past the right edge of the window (empty when the page fits its width).
SIDEWAYS = """
const out = Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
return document.documentElement.scrollWidth > window.innerWidth ? out.slice(0, 5) : [];
"""


class Page:
    def __init__(self, browser: Browser):
        self.browser = browser

    # --- reading the screens -------------------------------------------------------------

    def state(self) -> dict:
        """The posts view."""
        return self.browser.js(PAGE_STATE)

    def the_post(self) -> dict | None:
        """The first (in this test: the only) post, or None before it is there."""
        posts = self.state()["posts"]
        return posts[0] if posts else None

    def system(self) -> dict:
        """The System view."""
        return self.browser.js(SYSTEM_STATE)

    def console(self) -> dict:
        """The System view's lab console."""
        return self.browser.js(CONSOLE_STATE)

    def moderator(self) -> dict:
        """The Moderator page."""
        return self.browser.js(MODERATOR_STATE)

    def streams(self) -> dict:
        """The Streams page: the tape with the consumers' cursors on it."""
        return self.browser.js(STREAMS_STATE)

    def timeline(self, comment_id: str) -> dict | None:
        """One comment's open timeline, or None when it is closed."""
        return self.browser.js(TIMELINE_STATE, comment_id)

    def posts_shown_ms(self, timeout: float = 10) -> float:
        """When the posts list was first on screen, since navigation start (the app marks it)."""
        return wait_until("the posts-shown mark", lambda: self.browser.js(POSTS_SHOWN), timeout)

    def sticks_out_sideways(self) -> list:
        return self.browser.js(SIDEWAYS)

    def every_service(self, state: str):
        """A probe for `wait_until`: the four services' cards, once each is in `state`."""
        def probe():
            services = self.system()["services"]
            wanted = ("posts", "comments", "moderation", "query")
            return all(services.get(n, {}).get("state") == state for n in wanted) and services
        return probe

    # --- gestures ------------------------------------------------------------------------

    def comment_on(self, post_id: str, text: str):
        """Types into a post's comment box (end `text` with a newline to submit it)."""
        self.browser.type(f'[id="comment-{post_id}"]', text)

    def show(self, page: str):
        """Follows the header's link to `page` with the keyboard (focus it, press Enter)."""
        self.browser.type(f'a.page-link[href="#{page}"]', ENTER)
        shown = f"const v = document.getElementById('{page}-view'); return !!v && !v.hidden"
        wait_until(f"the {page} view", lambda: self.browser.js(shown), 5)

    # --- proving nothing reloaded the page -----------------------------------------------

    def mark_no_reload(self):
        """Sets a marker that survives only as long as the page is never reloaded."""
        self.browser.js("window.__browserTestMarker = 'no reload'")

    def no_reload(self):
        assert self.state()["marker"] == "no reload", "the page was reloaded"

    # --- the writes' idempotency keys ----------------------------------------------------

    def record_writes(self):
        self.browser.js(RECORD_KEYS)

    def writes(self) -> list:
        """Every POST since `record_writes`, with its Idempotency-Key."""
        return self.browser.js("return window.__writes")
