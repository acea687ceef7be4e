#!/usr/bin/env python3
"""The web client's browser test (issues 3 and 4): the whole system, driven through real Chromium.

    scripts/frontend.sh test          builds what is needed, then runs this

It starts a whole system on random free ports (running_system.py: a three-node nats-server
cluster, the four services, the frontend server, chromedriver and headless Chromium, spoken
to over WebDriver's HTTP protocol with the standard library only, see browser_kit.py), then plays
the scenarios below in order, as one story a learner could live through. Each scenario is
a function named for what it proves (in scenarios/), reading the page through page_kit.py;
its docstring is the line printed as `ok` or `FAIL`. The story stops at the first failure,
since every later scenario builds on the screen the earlier ones left.

Every wait polls with a deadline. Every process started here is stopped at the end, pass
or fail. Screenshots and every process's log go to frontend/test-output/. Prints the
shipped wasm's size and the time from navigation to posts on screen.
"""

import shutil
import signal
import sys
import time

from browser_kit import CheckFailed
from page_kit import Page
from running_system import DIST, ROOT, RunningSystem, missing_pieces
from scenarios import blog, console, dead_letters, outages, paging, streams, system_view
from scenarios.world import World

OUTPUT = ROOT / "frontend" / "test-output"

SCENARIOS = [
    # The blog, and its services failing under it.
    blog.the_page_loads_and_goes_live,
    blog.a_post_and_two_comments_are_written_through_the_page,
    blog.moderation_decisions_arrive_live_and_user_text_stays_text,
    outages.comments_down_keeps_the_text_and_a_retry_reuses_its_key,
    outages.query_down_shows_the_banner_and_keeps_the_posts,
    outages.query_back_makes_the_page_current_without_a_reload,
    blog.a_fresh_load_shows_the_same_and_fits_a_phone,
    # The recovery lab (issue 4).
    system_view.the_system_view_opens_with_the_keyboard_and_shows_every_service_up,
    system_view.a_killed_moderation_is_shown_down,
    system_view.a_comment_written_meanwhile_waits_in_the_backlog,
    streams.the_waiting_comment_is_on_the_tape_after_moderations_cursor,
    system_view.moderation_back_drains_the_backlog_and_approves_the_comment,
    streams.the_tapes_cursor_reaches_the_end_once_moderation_is_back,
    system_view.the_open_timeline_fills_in_by_itself,
    streams.a_timeline_hop_links_to_its_message_on_the_tape,
    # The lab console (issue 13): knobs and human moderation from the page.
    console.a_person_decides_on_the_moderator_page,
    console.a_slower_moderation_shows_in_the_timeline_and_the_defaults_come_back,
    dead_letters.failing_moderation_makes_dead_letters_that_say_so,
    dead_letters.retry_and_retry_all_put_them_back_and_stay_disabled,
    console.a_poison_message_from_the_scenario_list_becomes_a_dead_letter,
    system_view.a_killed_broker_node_is_shown_down_while_the_blog_goes_on,
    system_view.without_query_the_system_view_says_what_it_cannot_know,
    # Pages (issue 14): a blog larger than a page.
    paging.older_posts_and_comments_load_on_demand,
]

# What a failing check raises (anything else is a setup failure or a bug in this test).
CHECK_FAILURES = (CheckFailed, RuntimeError, AssertionError)


def describe(scenario) -> str:
    return " ".join((scenario.__doc__ or scenario.__name__).split())


def main() -> int:
    missing = missing_pieces()
    if missing:
        print(f"browser test: {missing[0]} is missing (scripts/frontend.sh test builds what it needs)")
        print("0 passed, 1 failed")
        return 1

    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "browser-test-failure.png").unlink(missing_ok=True)  # only this run's, if any
    logs = OUTPUT / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir()
    system = RunningSystem(logs)
    passed, failed = [], []

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop_on_signal)

    wasm = sorted(DIST.glob("*.wasm"))
    wasm_bytes = wasm[0].stat().st_size if wasm else 0
    print(f"shipped wasm (after wasm-opt): {wasm_bytes} bytes ({wasm_bytes // 1024} KiB)")

    try:
        began = time.monotonic()
        world = World(system=system, page=Page(system.start()), output=OUTPUT)
        print(f"the system and the browser started in {time.monotonic() - began:.1f} s")
        for scenario in SCENARIOS:
            name = describe(scenario)
            began = time.monotonic()
            try:
                scenario(world)
            except CHECK_FAILURES as err:
                failed.append(name)
                print(f"FAIL {name}: {err}")
                raise
            passed.append(name)
            print(f"ok   {name} ({time.monotonic() - began:.1f} s)")
    except Exception as err:
        if not isinstance(err, CHECK_FAILURES) or not failed:
            # Not raised by a scenario (the system did not start, or this script has a bug).
            failed.append("setup")
            print(f"FAIL setting up: {type(err).__name__}: {err}")
        system.procs.tail_logs()
        if system.browser is not None:
            try:
                system.browser.screenshot(OUTPUT / "browser-test-failure.png")
            except Exception:
                pass
    except KeyboardInterrupt:
        failed.append("interrupted")
    finally:
        system.stop()

    print(f"browser test: {'PASS' if not failed else 'FAIL'} (screenshots and logs in {OUTPUT.relative_to(ROOT)}/)")
    print(f"{len(passed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
