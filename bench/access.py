"""Visibility benchmark: the first page of a user's visible targets at scale.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/icare python bench/access.py [--short]

Works in a separate database ``<name>_bench_access`` next to ``DATABASE_URL`` (created and
migrated on first use; its synthetic rows are kept for the next run). It loads 1 M targets
(100 k with ``--short``) spread over 100 groups — each target owned by one group, one in ten
shared with a second — with ``generate_series`` in SQL, puts a user in 3 groups, and times
``accounts.access.visible_targets(user)`` for the first page, newest first.

Prints p50/p95 of the first page (budget p95 < 100 ms), the number of SQL queries for page
sizes 10, 50, 200 and 1000 (must not grow with the page size), and the ratio to the naive
approach of listing the user's target ids first and then fetching the page by id.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdb import percentile, setup_django  # noqa: E402

N_TARGETS = 1_000_000
N_TARGETS_SHORT = 100_000
N_GROUPS = 100
USER_GROUPS = 3
REPEAT = 50


def load(n_targets: int) -> None:
    """Targets, groups and view_target rows, in SQL (idempotent: reloads when sizes differ)."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.access import view_target_permission

    groups = [Group.objects.get_or_create(name=f"bench-{i:03d}")[0] for i in range(N_GROUPS)]
    group_ids = [group.pk for group in groups]
    permission_id = view_target_permission().pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tom_targets_basetarget WHERE name LIKE 'bench-%%'")
        if cursor.fetchone()[0] == n_targets:
            return
        started = time.perf_counter()
        cursor.execute(
            "DELETE FROM accounts_targetgroupobjectpermission WHERE group_id = ANY(%s)",
            [group_ids],
        )
        cursor.execute("DELETE FROM tom_targets_basetarget WHERE name LIKE 'bench-%%'")
        cursor.execute(
            """
            INSERT INTO tom_targets_basetarget
                (name, type, created, modified, ra, dec, epoch, scheme, permissions,
                 shared_by, shared_from)
            SELECT 'bench-' || i, 'SIDEREAL',
                   now() - make_interval(secs => %s - i), now(),
                   (i * 0.000359) %% 360, -30 + (i %% 60), 2000, '', 'PRIVATE', '', ''
            FROM generate_series(1, %s) AS i
            """,
            [n_targets, n_targets],
        )
        # each target belongs to one group; one in ten is shared with the next group too
        cursor.execute(
            """
            INSERT INTO accounts_targetgroupobjectpermission
                (content_object_id, group_id, permission_id)
            SELECT t.id, (%s::int[])[1 + (t.id %% %s)], %s
            FROM tom_targets_basetarget t WHERE t.name LIKE 'bench-%%'
            UNION ALL
            SELECT t.id, (%s::int[])[1 + ((t.id + 1) %% %s)], %s
            FROM tom_targets_basetarget t WHERE t.name LIKE 'bench-%%' AND t.id %% 10 = 0
            ON CONFLICT DO NOTHING
            """,
            [group_ids, N_GROUPS, permission_id, group_ids, N_GROUPS, permission_id],
        )
        cursor.execute("ANALYZE tom_targets_basetarget")
        cursor.execute("ANALYZE accounts_targetgroupobjectpermission")
        print(f"loaded {n_targets:,} targets in {time.perf_counter() - started:.1f} s")


def time_page(fn, repeat: int = REPEAT) -> list[float]:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help=f"{N_TARGETS_SHORT:,} targets")
    args = parser.parse_args()
    n_targets = N_TARGETS_SHORT if args.short else N_TARGETS

    setup_django("bench_access")
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from tom_targets.models import Target

    from accounts import access, services

    call_command("migrate", verbosity=0)
    load(n_targets)
    user, _ = get_user_model().objects.get_or_create(username="bench-shifter")
    mine = list(Group.objects.filter(name__in=["bench-007", "bench-042", "bench-077"]))
    for group in mine:
        services.add_member(group, user)
    user = get_user_model().objects.get(pk=user.pk)  # fresh: nothing cached

    def first_page(size: int, ordering: str = "-created"):
        fresh = get_user_model().objects.get(pk=user.pk)
        return list(access.visible_targets(fresh).order_by(ordering, "-id")[:size])

    def naive_page(size: int):
        fresh = get_user_model().objects.get(pk=user.pk)
        ids = list(
            access.TargetGroupObjectPermission.objects.filter(
                group__in=fresh.groups.all(), permission__codename="view_target"
            ).values_list("content_object_id", flat=True)
        )
        return list(Target.objects.filter(pk__in=ids).order_by("-created", "-id")[:size])

    visible = access.visible_targets(user).count()
    print(
        f"{n_targets:,} targets over {N_GROUPS} groups; user in {USER_GROUPS} groups "
        f"sees {visible:,}"
    )
    assert [t.pk for t in first_page(50)] == [t.pk for t in naive_page(50)], "pages differ"

    results = {}
    for label, fn in (
        ("first page of 50, newest first", lambda: first_page(50)),
        ("first page of 50, by name", lambda: first_page(50, "name")),
        ("naive: ids first, then the page", lambda: naive_page(50)),
    ):
        times = time_page(fn)
        results[label] = (statistics.median(times), percentile(times, 0.95))
        print(f"  {label:36s} p50 {results[label][0]:7.2f} ms  p95 {results[label][1]:7.2f} ms")

    counts = {}
    for size in (10, 50, 200, 1000):
        with CaptureQueriesContext(connection) as captured:
            first_page(size)
        counts[size] = len(captured.captured_queries)
    print("  queries per page size: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))

    p95 = results["first page of 50, newest first"][1]
    naive = results["naive: ids first, then the page"][1]
    print(f"p95 first page: {p95:.1f} ms (budget 100 ms) — {naive / p95:.1f}x faster than naive")
    ok = p95 < 100 and len(set(counts.values())) == 1
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
