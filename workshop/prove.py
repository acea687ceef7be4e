"""`make test`'s proof that the course stays true: every build exercise fails its check at
the start with exactly the expected points, and passes it with the reference solution."""

import subprocess

from course import EXERCISES, ROOT, check_build


def prove():
    """Every build exercise fails its check at the start, with exactly the expected points,
    and passes it with the reference solution. The working tree is restored either way."""
    failures = []
    unproved = set()
    for exercise in [e for e in EXERCISES if e.kind == "build"]:
        print(f"exercise {exercise.id}: pristine…", flush=True)
        points = check_build(exercise)
        failing = sorted(p.name for p in points if not p.passed)
        if failing != sorted(exercise.failing_at_start):
            failures.append(f"{exercise.id}: at the start it fails {failing}, "
                            f"expected {sorted(exercise.failing_at_start)}")
            unproved.add(exercise.id)
        diff = exercise.folder / "solution.diff"
        subprocess.run(["git", "apply", str(diff)], cwd=ROOT, check=True)
        try:
            print(f"exercise {exercise.id}: with the reference solution…", flush=True)
            points = check_build(exercise)
            failing = [p.name for p in points if not p.passed]
            if failing or not points:
                failures.append(f"{exercise.id}: the solution still fails {failing}")
                unproved.add(exercise.id)
        finally:
            subprocess.run(["git", "apply", "-R", str(diff)], cwd=ROOT, check=True)
    for failure in failures:
        print(f"workshop: {failure}")
    count = len([e for e in EXERCISES if e.kind == "build"])
    print(f"workshop: {count - len(unproved)} of {count} build exercises proved "
          "(fail at the start, pass with the solution)")
    return 1 if failures else 0
