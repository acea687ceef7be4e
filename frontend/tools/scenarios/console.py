"""The lab console beyond Kill and Start (those are in system_view.py): moderation's knobs
changed live from the System view, and human moderation on the Moderator page."""

import re

from browser_kit import wait_until
from page_kit import ENTER
from scenarios.world import DECIDED_BY_A_PERSON, MODERATED_SLOWLY, World

# Sets a form field as typing would (the app listens to `input` and `change`).
SET_FIELD = """
const field = document.getElementById(arguments[0]);
if (field.type === 'checkbox') { field.checked = arguments[1]; }
else { field.value = arguments[1]; }
field.dispatchEvent(new Event(field.type === 'checkbox' ? 'change' : 'input', { bubbles: true }));
"""


def save_knobs(w: World, **fields):
    """Fills the knobs form's `fields` (id suffix → value), presses Save, and waits until
    moderation answers with the new revision."""
    w.page.show("system")
    before = w.page.console()["knobs"]["origin"]
    for name, value in fields.items():
        w.browser.js(SET_FIELD, f"knob-{name}", value)
    w.browser.click("#knobs-save")
    return wait_until("the knobs saved", lambda: (k := w.page.console()["knobs"])["origin"] != before
                      and "revision" in (k["origin"] or "") and k, 10)


def comment(w: World, text: str) -> dict:
    """Writes `text` on the post through the page, and answers the new comment once shown
    (while pending it reads "This comment is awaiting moderation", as in the course)."""
    w.page.show("posts")
    before = {c["id"] for c in w.page.the_post()["comments"]}
    w.page.comment_on(w.page.the_post()["id"], text + "\n")
    return wait_until(f"the comment {text!r}", lambda: next(
        (c for c in w.page.the_post()["comments"] if c["id"] not in before), None), 10)


def a_person_decides_on_the_moderator_page(w: World):
    """with "A person decides" on, a new comment waits on the Moderator page until Approve is pressed, then shows approved"""
    knobs = save_knobs(w, manual=True)
    assert knobs["manual"], f"the form after saving: {knobs}"
    waiting = comment(w, DECIDED_BY_A_PERSON)
    w.page.show("moderator")
    wait_until("the comment on the Moderator page", lambda: any(
        c["id"] == waiting["id"] and c["text"] == DECIDED_BY_A_PERSON for c in w.page.moderator()["waiting"]), 15)
    post = w.page.the_post()
    still = next(c for c in post["comments"] if c["id"] == waiting["id"])
    assert still["status"] == "pending", f"decided before anyone pressed a button: {still}"
    w.browser.full_screenshot(w.output / "moderator.png")
    w.browser.click(f'li.waiting[data-comment-id="{waiting["id"]}"] button.approve')
    wait_until("the Moderator page without it", lambda: all(
        c["id"] != waiting["id"] for c in w.page.moderator()["waiting"]), 15)
    assert w.page.moderator()["problem"] is None, w.page.moderator()
    w.page.show("posts")
    wait_until("the comment approved on the posts page", lambda: any(
        c["id"] == waiting["id"] and c["status"] == "approved" and c["text"] == DECIDED_BY_A_PERSON
        for c in w.page.the_post()["comments"]), 15)


def a_slower_moderation_shows_in_the_timeline_and_the_defaults_come_back(w: World):
    """with the delay knob at 1500 ms a new comment is moderated about 1.5 s after it was written; then back to the defaults"""
    save_knobs(w, manual=False, delay="1500")
    slow = comment(w, MODERATED_SLOWLY)
    w.browser.type(f'li.comment[data-comment-id="{slow["id"]}"] button.timeline-toggle', ENTER)

    def whole():
        t = w.page.timeline(slow["id"])
        return t and t["types"] == ["CommentCreated", "CommentModerated", "CommentUpdated"] and t
    timeline = wait_until("the slow comment's whole timeline", whole, 30)
    hop = re.search(r"CommentModerated \+(\d+(?:\.\d+)?) (ms|s)", timeline["summary"] or "")
    assert hop, f"summary: {timeline['summary']!r}"
    seconds = float(hop[1]) / (1000 if hop[2] == "ms" else 1)
    assert seconds >= 1.4, f"moderated {seconds} s after it was written, with a 1.5 s delay: {timeline['summary']}"
    print(f"     timeline with the delay knob at 1500 ms: {timeline['summary']}")
    w.page.show("system")
    w.browser.click("#knobs-reset")
    knobs = wait_until("the start-up defaults in force", lambda: (k := w.page.console()["knobs"])
                       and "start-up defaults" in (k["origin"] or "") and k, 10)
    assert knobs["delay"] == "0" and not knobs["manual"], f"the form: {knobs}"
    w.page.show("posts")  # where the story goes on


def a_poison_message_from_the_scenario_list_becomes_a_dead_letter(w: World):
    """the scenario "A poison message arrives" (one click) puts a message that is not an event in COMMENTS, and its consumers give it up as dead letters"""
    w.page.show("system")
    before = {d["id"] for d in w.page.system()["deadLetters"]}
    w.browser.click('li.scenario[data-scenario="poison"] button')

    def poisoned():
        new = [d for d in w.page.system()["deadLetters"] if d["id"] not in before and "poison-" in d["text"]]
        return new and new
    letters = wait_until("dead letters for the poison message", poisoned, 30)
    assert all("Terminated" in d["text"] for d in letters), [d["text"] for d in letters]
    print(f"     dead letters for the poison message: {len(letters)}; the first: {letters[0]['text'].splitlines()[0]!r}")
