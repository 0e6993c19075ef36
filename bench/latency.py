"""Latency from Kafka to the scanning queue: p50/p99 against the 1 s budget.

Simulated ZTF alerts are produced at ``--rate`` alerts/s into a local tansu broker;
one ``fink_stream`` consumer process stores them; this process polls
``GET /api/candidates?sort=arrived`` (newest arrivals first, as a shifter watching for new
alerts would; observation order would bury late-arriving alerts mid-queue), through
Django's full request stack: middleware, URL routing, authentication, permissions, query,
serializer) as a member of the owning group, and notes when each alert id is first
returned. Latency =
that moment minus the Kafka message timestamp (CreateTime, stamped when the simulator
produced the message). Also printed: Kafka timestamp → the candidate rows' write, the
ingest transaction's last statement (``ingested_at`` of the rows), and → its commit (the
consumer's own figure, as on /health).

Runs on a scratch database ``<DATABASE NAME>_bench_latency`` (created and migrated on
first use), so the working database is untouched.

    .venv/bin/python bench/latency.py            # 60 s at 200 alerts/s
    .venv/bin/python bench/latency.py --short    # 15 s
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
from bench.benchdb import percentile, scratch_test_database, setup_django  # noqa: E402

BUDGET_S = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="15 s instead of 60 s")
    parser.add_argument("--rate", type=float, default=200.0, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--poll-timeout", type=float, default=0.05, help="consumer poll (s)")
    parser.add_argument("--page-size", type=int, default=50, help="cards per API page")
    parser.add_argument("--csv", type=Path, help="write per-alert timings (Unix s) to this file")
    args = parser.parse_args()
    seconds = args.seconds or (15.0 if args.short else 60.0)
    count = int(args.rate * seconds)

    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from brokers.fink.bootstrap import bootstrap
    from brokers.fink.kafka_broker import TansuBroker, create_topics
    from sources.models import Candidate

    database_url = scratch_test_database("bench_latency")
    topic = f"fink_bench_sn_candidates_ztf_{uuid.uuid4().hex[:6]}"
    group_name = "Fink"
    setup = bootstrap("ztf", [topic], group_name)
    filter_id = setup.filter_ids[topic]
    user, _ = get_user_model().objects.get_or_create(username="bench-latency")
    user.groups.add(Group.objects.get(name=group_name))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = (
        "/api/candidates?window=all&saved=all&sort=arrived"
        f"&filter={filter_id}&page_size={args.page_size}"
    )

    workdir = Path(tempfile.mkdtemp(prefix="icare-latency-"))
    consumer_name = f"bench-latency-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_TEST_NAME", None)
    children: list[subprocess.Popen] = []
    with TansuBroker(log_path=workdir / "tansu.log") as broker:
        # One partition and alerts sent in observation-time order (as a survey does): a new
        # candidate shows at the top of the queue (sorted by observation time) the moment
        # it is committed. Out-of-order arrival would put it mid-queue, where a poller
        # reading the top pages finds it late: a property of the poller, not of the API.
        create_topics(broker.bootstrap, [(topic, 1)])
        config = workdir / "stream.yaml"
        config.write_text(
            f"name: {consumer_name}\nsurvey: ztf\nservers: {broker.bootstrap}\n"
            f"topics: [{topic}]\ngroup_id: bench-{uuid.uuid4().hex[:6]}\n"
            f"owning_group: {group_name}\nbatch_size: {args.batch_size}\n"
            f"poll_timeout_s: {args.poll_timeout}\n"
        )
        consumer_log = workdir / "consumer.log"
        consumer_args = ["fink_stream", "--config", str(config), "-v", "0"]
        with open(consumer_log, "wb") as log:
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", *consumer_args],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            # Let the consumer join its group before the clock starts.
            from confluent_kafka.admin import AdminClient

            admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log_level": 3})
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if children[0].poll() is not None:
                    raise SystemExit(f"consumer exited:\n{consumer_log.read_text()}")
                if _consumer_joined(admin, config):
                    break
                time.sleep(0.5)
            del admin
            print(
                f"producing {count} ZTF alerts at {args.rate:.0f}/s for {seconds:.0f} s "
                f"into tansu; consumer batch ≤ {args.batch_size}, poll {args.poll_timeout} s",
                flush=True,
            )
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "simulate_alerts", "--survey", "ztf",
                     "--rate", str(args.rate), "--count", str(count), "--seed", "421",
                     "--pregenerate", "--time-ordered", "--kafka", broker.bootstrap,
                     "--topic", topic, "-v", "0"],
                    cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                )
            )  # fmt: skip
            first_seen: dict[int, float] = {}
            polls = 0
            api_times: list[float] = []
            producer = children[-1]
            # The producer first simulates every alert, then sends them at the rate; stop
            # when all were seen, or 20 s after the producer finished without news.
            last_news = time.monotonic()
            hard_stop = time.monotonic() + seconds + 900
            while len(first_seen) < count and time.monotonic() < hard_stop:
                before = len(first_seen)
                page_url = url
                # A batch can commit more alerts than a page holds: read on (keyset
                # cursor) only while a whole page is unseen, as a client watching the
                # newest arrivals would.
                for _page in range(20):
                    started = time.perf_counter()
                    response = client.get(page_url)
                    seen_at = time.time()
                    if first_seen:  # polls while alerts flow (not the idle ones before)
                        api_times.append(time.perf_counter() - started)
                    polls += 1
                    if response.status_code != 200:
                        raise SystemExit(f"/api/candidates answered {response.status_code}")
                    page = response.json()
                    new = [
                        c["alert_id"] for c in page["results"] if c["alert_id"] not in first_seen
                    ]
                    for alert_id in new:
                        first_seen[alert_id] = seen_at
                    if len(new) < len(page["results"]) or not page["next_cursor"]:
                        break
                    page_url = f"{url}&cursor={quote(page['next_cursor'])}"
                if len(first_seen) > before:
                    last_news = time.monotonic()
                elif producer.poll() is not None and time.monotonic() - last_news > 20:
                    break
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
                    child.wait(30)

    from icare_tom.stream_metrics import StreamMetrics

    metrics = StreamMetrics(consumer_name)
    health = metrics.snapshot()
    metrics.forget()
    rows = Candidate.objects.filter(filter_id=filter_id).values_list(
        "alert_id", "kafka_timestamp", "ingested_at"
    )
    if args.csv:
        with open(args.csv, "w") as out:
            out.write("alert_id,kafka_timestamp,ingested_at,first_returned\n")
            for alert_id, kafka_ts, ingested_at in rows:
                out.write(
                    f"{alert_id},{kafka_ts.timestamp() if kafka_ts else ''},"
                    f"{ingested_at.timestamp()},{first_seen.get(alert_id, '')}\n"
                )
    to_api, to_commit = [], []
    for alert_id, kafka_ts, ingested_at in rows:
        if kafka_ts is None:
            continue
        to_commit.append((ingested_at - kafka_ts).total_seconds())
        if alert_id in first_seen:
            to_api.append(first_seen[alert_id] - kafka_ts.timestamp())
    if not to_api:
        raise SystemExit("no alert reached the API; see " + str(workdir))
    p50, p99 = percentile(to_api, 0.50), percentile(to_api, 0.99)
    c50, c99 = percentile(to_commit, 0.50), percentile(to_commit, 0.99)
    print(f"alerts produced {count}, stored {len(rows)}, returned by the API {len(first_seen)}")
    print(
        f"API polls {polls}; while alerts flowed, GET /api/candidates ({args.page_size} "
        f"cards) took median {statistics.median(api_times) * 1000:.0f} ms, "
        f"p99 {percentile(api_times, 0.99) * 1000:.0f} ms"
    )
    print(f"Kafka timestamp → candidate rows written:  p50 {c50:.3f} s   p99 {c99:.3f} s")
    print(
        f"Kafka timestamp → ingest commit (/health):  p50 {health['latency_p50_s']:.3f} s   "
        f"p99 {health['latency_p99_s']:.3f} s"
    )
    print(f"Kafka timestamp → GET /api/candidates:      p50 {p50:.3f} s   p99 {p99:.3f} s")
    print(
        f"p99 / budget ({BUDGET_S:.0f} s) = {p99 / BUDGET_S:.2f}  "
        f"({'within' if p99 < BUDGET_S else 'OVER'} budget)"
    )
    return 0


def _consumer_joined(admin, config: Path) -> bool:
    """True once the bench consumer's group has a member with partitions."""
    import yaml

    group_id = yaml.safe_load(config.read_text())["group_id"]
    try:
        [future] = admin.describe_consumer_groups([group_id]).values()
        description = future.result(timeout=5)
    except Exception:
        return False
    return any(member.assignment.topic_partitions for member in description.members)


if __name__ == "__main__":
    sys.exit(main())
