"""Follow-up benchmark: source page with the follow-up and observability panels, a 10,000-point
photometry upload, and a robot polling its queue with 100,000 requests in the table.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/icare python bench/followup.py [--short]

Works in the scanning benchmark's database (``<name>_bench_scanning``: 1 M candidates over
400 k targets, 100 k/40 k with ``--short``; loaded by ``bench/scanning.py``'s loader when
absent) and adds 10 telescopes with one queue allocation each for the shifter's groups, and
100,000 follow-up requests (TOM observation records) over those allocations, 50 of them
pending on the polled one. Times are whole server times through the Django test client.

Budgets (DESIGN.md §5): source page p95 < 300 ms; 10 k-point upload < 1 s; robot poll p95 <
50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdb import setup_django  # noqa: E402
from bench.scanning import N_CANDIDATES, N_TARGETS, SHORT_FACTOR, percentile  # noqa: E402

N_REQUESTS = 100_000
N_PENDING = 50
N_POINTS = 10_000
REPEAT = 30
PAGE_BUDGET_MS, UPLOAD_BUDGET_MS, POLL_BUDGET_MS = 300.0, 1000.0, 50.0
TELESCOPE_FILES = (
    "tarot_calern.yaml",
    "tarot_chile.yaml",
    "tarot_reunion.yaml",
    "fram_orm.yaml",
    "kottamia.yaml",
    "kait.yaml",
    "abastumani.yaml",
    "ubai.yaml",
    "xinglong.yaml",
    "ohp_t120.yaml",
)


def timed(fn, repeat: int = REPEAT) -> list[float]:
    fn()  # warm-up (and fills the observability cache)
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def seed_followup(user, groups) -> tuple[list, object]:
    """10 instruments (no field grids), one allocation each, 100 k requests (SQL)."""
    from django.db import connection
    from django.utils import timezone

    from facilities import instruments
    from facilities.models import Allocation, FollowupRequest, Instrument

    now = timezone.now()
    allocations = []
    for i, name in enumerate(TELESCOPE_FILES):
        config = instruments.read_config(REPO / "config" / "instruments" / name)
        config["fields"] = "none"
        result = instruments.load_config(config)
        allocation, _ = Allocation.objects.update_or_create(
            group=groups[i % len(groups)],
            instrument=Instrument.objects.get(name=result.instrument),
            facility="Queue",
            defaults={
                "pi": "bench",
                "hours": 10,
                "start": now - timedelta(days=1),
                "end": now + timedelta(days=365),
            },
        )
        allocation.admins.add(user)
        allocations.append(allocation)
    polled = allocations[0]
    if FollowupRequest.objects.count() == N_REQUESTS:
        FollowupRequest.objects.filter(allocation=polled, status="pending").update(delivered=None)
        return allocations, polled
    ids = [a.pk for a in allocations]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM facilities_facilityexchange")
        cursor.execute("DELETE FROM facilities_followuprequest")
        cursor.execute("DELETE FROM tom_observations_observationrecord")
        cursor.execute(
            """
            CREATE TEMP TABLE bench_req AS
            SELECT i, (SELECT id FROM tom_targets_basetarget ORDER BY id OFFSET (i %% 1000)
                       LIMIT 1) AS target_id,
                   (%s::bigint[])[1 + i %% 10] AS allocation_id,
                   CASE WHEN i < %s THEN 'pending'
                        WHEN i %% 10 = 0 THEN 'failed' ELSE 'completed' END AS status
            FROM generate_series(0, %s - 1) AS i
            """,
            [ids, N_PENDING * 10, N_REQUESTS],
        )
        cursor.execute(
            """
            INSERT INTO tom_observations_observationrecord
                (target_id, user_id, facility, parameters, observation_id, status, created,
                 modified)
            SELECT target_id, %s, 'Queue', '{"filters": ["sdssr"], "exposure_time": 60}',
                   'bench-' || i, status, now(), now()
            FROM bench_req ORDER BY i
            """,
            [user.pk],
        )
        cursor.execute(
            """
            INSERT INTO facilities_followuprequest
                (record_id, allocation_id, target_id, requester_id, status, message, parameters,
                 priority, created, updated)
            SELECT o.id, r.allocation_id, r.target_id, %s, r.status, '',
                   '{"filters": ["sdssr"], "exposure_time": 60, "exposure_count": 1}', 3,
                   now(), now()
            FROM bench_req r JOIN tom_observations_observationrecord o
              ON o.observation_id = 'bench-' || r.i
            """,
            [user.pk],
        )
        for table in ("tom_observations_observationrecord", "facilities_followuprequest"):
            cursor.execute(f"ANALYZE {table}")
    return allocations, polled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the scanning bench's short data")
    args = parser.parse_args()
    factor = SHORT_FACTOR if args.short else 1

    setup_django("bench_scanning")
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from tom_targets.models import Target

    from accounts import acl, services
    from bench.scanning import load
    from facilities import services as followup
    from sources.models import Photometry, PhotometryGroup

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    load(N_CANDIDATES // factor, N_TARGETS // factor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tom_targets_basetarget")
        n_targets = cursor.fetchone()[0]
    user, _ = get_user_model().objects.get_or_create(username="bench-shifter")
    services.set_only_role(user, acl.FULL_USER)
    groups = list(Group.objects.filter(name__in=["bench-007", "bench-042"]).order_by("name"))
    user.groups.add(*groups)
    started = time.perf_counter()
    allocations, polled = seed_followup(user, groups)
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {n_targets:,} "
        f"targets, {len(allocations)} allocations, {N_REQUESTS:,} follow-up requests "
        f"(seeded in {time.perf_counter() - started:.1f} s)"
    )
    client = Client()
    client.force_login(user)

    # 1. the source page with the follow-up and observability panels
    target = (
        Target.objects.filter(targetgroupobjectpermission__group=groups[0]).order_by("id").first()
    )
    url = f"/sources/{target.name}/"
    page = client.get(url)
    assert page.status_code == 200 and b'id="followup-panel"' in page.content
    assert b'id="observability-panel"' in page.content
    page_ms = timed(lambda: client.get(url))
    page_p95 = percentile(page_ms, 0.95)
    print(
        f"source page with follow-up + observability ({len(allocations)} telescopes): "
        f"p50 {percentile(page_ms, 0.5):.0f} ms, p95 {page_p95:.0f} ms "
        f"(budget {PAGE_BUDGET_MS:.0f} ms)"
    )

    from sources import panels

    registered = dict(panels._panels)
    for name in list(panels._panels):
        if name.startswith("facilities/"):
            del panels._panels[name]
    bare_ms = timed(lambda: client.get(url))
    panels._panels.update(registered)
    print(
        f"  the same page without the follow-up and observability panels: "
        f"p50 {percentile(bare_ms, 0.5):.0f} ms, p95 {percentile(bare_ms, 0.95):.0f} ms "
        f"(the panels add {percentile(page_ms, 0.5) - percentile(bare_ms, 0.5):.0f} ms at p50)"
    )

    # 2. a 10,000-point photometry upload
    import json

    def upload(offset: float) -> float:
        points = [
            {
                "mjd": 61100 + offset + i * 1e-3,
                "filter": "sdssr",
                "mag": 18 + (i % 7) / 10,
                "magerr": 0.05,
            }
            for i in range(N_POINTS)
        ]
        body = json.dumps({"target": target.name, "instrument": "bench-cam", "points": points})
        started = time.perf_counter()
        response = client.post("/api/photometry", body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201 and response.json()["ingested"] == N_POINTS
        return elapsed

    # uploads go to another target of the group, and are removed (and vacuumed) afterwards
    target = Target.objects.filter(targetgroupobjectpermission__group=groups[0]).order_by("id")[1]
    Photometry.objects.filter(target=target, instrument="bench-cam").delete()
    PhotometryGroup.objects.filter(target=target).delete()
    uploads = [upload(100.0 * k) for k in range(3)]
    print(
        f"{N_POINTS:,}-point photometry upload: {', '.join(f'{u:.0f}' for u in uploads)} ms "
        f"(best {min(uploads):.0f} ms, budget {UPLOAD_BUDGET_MS:.0f} ms)"
    )
    Photometry.objects.filter(target=target, instrument="bench-cam").delete()
    PhotometryGroup.objects.filter(target=target).delete()
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        cursor.execute("VACUUM ANALYZE sources_photometry")
        cursor.execute("VACUUM ANALYZE sources_photometrygroup")

    # 3. the robot polling its pending requests
    token = followup.create_robot_token(user, polled)
    robot = Client(HTTP_AUTHORIZATION=f"Robot {token}")
    poll_url = f"/api/facility_queue/{polled.pk}/requests?status=pending"
    first = robot.get(poll_url)
    assert first.status_code == 200 and len(first.json()) == N_PENDING, first.content[:200]
    poll_ms = timed(lambda: robot.get(poll_url), repeat=100)
    poll_p95 = percentile(poll_ms, 0.95)
    print(
        f"robot poll ({N_PENDING} pending of {N_REQUESTS:,}): p50 {percentile(poll_ms, 0.5):.1f}"
        f" ms, p95 {poll_p95:.1f} ms (budget {POLL_BUDGET_MS:.0f} ms)"
    )
    ok = page_p95 < PAGE_BUDGET_MS and min(uploads) < UPLOAD_BUDGET_MS and poll_p95 < POLL_BUDGET_MS
    print("within budgets" if ok else "OVER BUDGET")


if __name__ == "__main__":
    main()
