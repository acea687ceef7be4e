#!/usr/bin/env python3
"""The workshop's runner: `make lab`, `make check EX=05`, `make hint EX=05`,
`make solution EX=05 [APPLY=1]`, `make lab-reset EX=05`, and `prove` (run by `make test`).

Two kinds of exercise (see workshop/README.md):

- *build* exercises are crates in the workspace (`workshop/<id>-<slug>/`). Their checks are
  the tests in `tests/check.rs`, behind the crate's `check` feature, so that `cargo test
  --workspace` does not run them (every build exercise starts out failing them, on
  purpose). A check's points are those tests: a test named
  `an_update_that_arrives_before_its_comment_is_not_lost` is the point "an update that
  arrives before its comment is not lost", and its failure message says what went wrong.
- *observe* exercises are done on the running system (`make run`) and checked from its
  state, by the functions in `workshop/observe.py`, over the time window of the attempt.

What a learner has done (the last check of each exercise, the hints shown, when an attempt
started) is kept in `workshop/.progress.json`, which git ignores.

`prove` (every build exercise fails at the start and passes with its solution) is in
`workshop/prove.py`. Nothing but the standard library.
"""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Where progress is kept; a test points it elsewhere so it never touches a learner's.
PROGRESS = Path(os.environ.get("WORKSHOP_PROGRESS", HERE / ".progress.json"))


@dataclass
class Exercise:
    id: str
    slug: str
    kind: str  # "build" or "observe"
    goal: str
    minutes: int
    crate: str = ""
    # The points a pristine exercise must fail (`prove` checks it), by test name.
    failing_at_start: list = field(default_factory=list)

    @property
    def folder(self):
        return HERE / f"{self.id}-{self.slug}"


EXERCISES = [
    Exercise("01", "missing-events", "observe",
             "kill moderation, write comments, bring it back: nothing is lost", 10),
    Exercise("02", "late-service", "build",
             "a service started a year late must count the whole history", 25,
             crate="workshop-stats",
             failing_at_start=["started_late_it_counts_the_whole_history",
                               "it_says_ready_only_once_it_knows_the_history"]),
    Exercise("03", "new-event", "build",
             "a post can be deleted: one new event through every layer",
             35, crate="workshop-new-event",
             failing_at_start=["the_deletion_is_stored_in_posts_as_post_deleted",
                               "only_a_post_that_exists_can_be_deleted_and_only_once",
                               "each_comment_of_the_deleted_post_is_deleted_once",
                               "the_read_model_forgets_the_deleted_post_and_its_comments",
                               "a_late_comment_or_a_redelivered_post_does_not_bring_it_back",
                               "the_page_drops_the_deleted_post"]),
    Exercise("04", "idempotency", "build",
             "a decision published twice must be stored once", 20,
             crate="workshop-idempotency",
             failing_at_start=["a_decision_published_twice_is_stored_once",
                               "the_decision_joins_the_chain_of_its_comment"]),
    Exercise("05", "out-of-order", "build",
             "a projection that converges whatever the delivery order", 25,
             crate="workshop-out-of-order",
             failing_at_start=["an_update_that_arrives_before_its_comment_is_not_lost",
                               "an_older_update_never_overwrites_a_newer_one",
                               "a_creation_delivered_again_does_not_undo_an_update",
                               "every_order_of_the_history_gives_the_same_board"]),
    Exercise("06", "ordered-parallelism", "build",
             "parallel across keys, in order within one", 25,
             crate="workshop-ordered-parallelism",
             failing_at_start=["messages_of_one_key_finish_in_the_order_given",
                               "messages_of_one_key_never_run_at_the_same_time"]),
    Exercise("07", "retries-and-dead-letters", "observe",
             "make moderation fail, watch the retries and the dead letter, heal it", 15),
    Exercise("08", "scale-out", "observe",
             "a cluster, three moderations, a node and an instance killed: nothing lost", 20),
]


def find(exercise_id):
    wanted = exercise_id.strip().zfill(2)
    for exercise in EXERCISES:
        if exercise.id == wanted:
            return exercise
    known = ", ".join(e.id for e in EXERCISES)
    sys.exit(f"there is no exercise {exercise_id!r}; the exercises are {known} (make lab)")


def load_progress():
    try:
        return json.loads(PROGRESS.read_text())
    except (OSError, ValueError):
        return {}


def save_progress(progress):
    PROGRESS.write_text(json.dumps(progress, indent=2, sort_keys=True) + "\n")


def entry(progress, exercise):
    return progress.setdefault(exercise.id, {})


# ---- make lab ----

def list_exercises():
    progress = load_progress()
    print("The workshop (workshop/README.md has the map):\n")
    for exercise in EXERCISES:
        done = entry(progress, exercise).get("passed")
        mark = "done" if done else "not done" if done is False else "not tried"
        print(f"  {exercise.id}  {exercise.kind:<8} {mark:<10} {exercise.goal}"
              f"  (~{exercise.minutes} min)")
    print("\nmake check EX=05 checks one; make hint EX=05 gives the next hint.")


# ---- make check ----

@dataclass
class Point:
    name: str
    passed: bool
    why: str = ""


def words(test_name):
    return test_name.replace("_", " ")


def check_build(exercise):
    """Runs the exercise's check tests; one point per test."""
    # --workspace, not -p: cargo picks the dependencies' features from the packages it is
    # given, so `-p` would build tokio, async-nats and the services again with other
    # features; this way the build `cargo test --workspace` made is reused, and only the
    # exercise is compiled (the other exercises' checks are empty without their feature).
    command = ["cargo", "test", "--workspace", "--features", f"{exercise.crate}/check",
               "--test", "check", "--", "--test-threads", "1"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    results = re.findall(r"^test (\w+) \.\.\. (ok|FAILED)$", output, re.MULTILINE)
    if not results:
        # It did not even compile, most likely: show the compiler's words.
        print(output[-3000:])
        return [Point("the exercise builds", False,
                      "cargo could not build or run the checks (its output is above)")]
    points = []
    for name, outcome in results:
        why = ""
        if outcome == "FAILED":
            section = re.search(rf"---- {name} stdout ----\n(.*?)(?:\n\n|\Z)", output, re.DOTALL)
            if section:
                why = failure_message(section.group(1))
        points.append(Point(name, outcome == "ok", why))
    # cargo reports tests alphabetically; a learner works through them in the order the
    # check file tells the story, piece by piece.
    order = written_order(exercise.folder / "tests" / "check.rs")
    points.sort(key=lambda p: order.get(p.name, len(order)))
    return points


def written_order(check_file):
    """Each test function's position in the file, by name."""
    names = re.findall(r"#\[(?:tokio::)?test[^\]]*\]\s*(?:async\s+)?fn\s+(\w+)",
                       check_file.read_text())
    return {name: index for index, name in enumerate(names)}


def failure_message(panic_text):
    """The assertion's own message, without the test harness's noise."""
    lines = [l for l in panic_text.splitlines()
             if not l.startswith(("thread '", "note:", "stack backtrace"))
             and not re.match(r"^\s+\d+: ", l) and not l.strip().startswith("at ")]
    # The test's own sentence is what matters; assert_eq's preamble before it is noise.
    lines = [re.sub(r"^assertion `[^`]*` failed: ", "", l) for l in lines]
    return "\n".join(lines).strip()


def check_observe(exercise, since):
    sys.path.insert(0, str(HERE))
    import observe  # noqa: E402 (only the observe exercises need it)
    return observe.CHECKS[exercise.id](since)


def check(exercise_id):
    exercise = find(exercise_id)
    progress = load_progress()
    record = entry(progress, exercise)
    if exercise.kind == "build":
        print(f"checking exercise {exercise.id} (building it first)…")
        points = check_build(exercise)
    else:
        since = record.get("started", time.time() - 3 * 3600)
        print(f"checking exercise {exercise.id} against the running system, since "
              f"{time.strftime('%H:%M:%S', time.localtime(since))}…")
        points = check_observe(exercise, since)
    for point in points:
        print(f"  {'✓' if point.passed else '✗'} {words(point.name)}")
        if not point.passed and point.why:
            for line in point.why.splitlines():
                print(f"      {line}")
    passed = sum(p.passed for p in points)
    failed = len(points) - passed
    if failed:
        print(f"\n  stuck? make hint EX={exercise.id}")
    print(f"{passed} passed, {failed} failed")
    record["passed"] = failed == 0
    record["checked"] = time.time()
    save_progress(progress)
    return 0 if failed == 0 else 1


# ---- make hint ----

def hints_of(exercise):
    text = (exercise.folder / "hints.md").read_text()
    return [h.strip() for h in re.split(r"^---$", text, flags=re.MULTILINE) if h.strip()]


def hint(exercise_id):
    exercise = find(exercise_id)
    progress = load_progress()
    record = entry(progress, exercise)
    hints = hints_of(exercise)
    shown = record.get("hints", 0)
    if shown >= len(hints):
        print(f"That was the last hint ({len(hints)} of {len(hints)}). "
              f"make solution EX={exercise.id} shows the reference solution.")
        return 0
    print(f"Hint {shown + 1} of {len(hints)}:\n\n{hints[shown]}\n")
    record["hints"] = shown + 1
    save_progress(progress)
    return 0


# ---- make solution ----

def solution(exercise_id, apply):
    exercise = find(exercise_id)
    diff = exercise.folder / "solution.diff"
    if exercise.kind != "build" or not diff.exists():
        steps = (exercise.folder / "README.md").read_text().split("## Steps", 1)[-1]
        print(steps.split("\n## ", 1)[0].strip())
        print("\n(an observe exercise: its solution is the steps above, on the running system)")
        return 0
    text = diff.read_text()
    if not apply:
        print(text)
        print(f"make solution EX={exercise.id} APPLY=1 applies it to your working tree.")
        return 0
    files = sorted(set(re.findall(r"^\+\+\+ b/(.+)$", text, re.MULTILINE)))
    print("This replaces your version of:\n  " + "\n  ".join(files))
    print("with the reference solution (make lab-reset EX=%s restores the start)." % exercise.id)
    subprocess.run(["git", "checkout", "--", *files], cwd=ROOT, check=True)
    subprocess.run(["git", "apply", str(diff)], cwd=ROOT, check=True)
    print("applied.")
    return 0


# ---- make lab-reset ----

def reset(exercise_id):
    exercise = find(exercise_id)
    progress = load_progress()
    record = entry(progress, exercise)
    if exercise.kind == "build":
        paths = [str(p.relative_to(ROOT)) for p in (exercise.folder / "src",)]
        subprocess.run(["git", "checkout", "--", *paths], cwd=ROOT, check=True)
        print(f"exercise {exercise.id}: {', '.join(paths)} restored as committed.")
    record.clear()
    record["started"] = time.time()
    save_progress(progress)
    print(f"exercise {exercise.id}: progress cleared; an attempt starts now.")
    return 0


def main(argv):
    if len(argv) < 2 or argv[1] == "list":
        list_exercises()
        return 0
    command, rest = argv[1], argv[2:]
    needs_id = {"check", "hint", "solution", "reset"}
    if command in needs_id and (not rest or not rest[0].strip()):
        sys.exit(f"say which exercise: make {command if command != 'reset' else 'lab-reset'} EX=05")
    if command == "check":
        return check(rest[0])
    if command == "hint":
        return hint(rest[0])
    if command == "solution":
        return solution(rest[0], apply="--apply" in rest)
    if command == "reset":
        return reset(rest[0])
    if command == "prove":
        import prove  # noqa: E402 (only make test needs it)
        return prove.prove()
    sys.exit(f"unknown command {command!r}: list, check, hint, solution, reset, prove")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
