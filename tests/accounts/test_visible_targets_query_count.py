"""Listing visible targets costs the same number of queries whatever the page size."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tom_targets.models import Target

from accounts import access, services


@pytest.mark.django_db
def test_it_lists_a_page_in_a_fixed_number_of_queries(alice, group_a, group_b):
    mine = [Target(name=f"a-{i}", type="SIDEREAL", ra=i, dec=0) for i in range(60)]
    others = [Target(name=f"b-{i}", type="SIDEREAL", ra=i, dec=1) for i in range(60)]
    Target.objects.bulk_create(mine + others)
    for target in Target.objects.filter(name__startswith="a-"):
        services.assign_target_to_groups(target, [group_a])
    for target in Target.objects.filter(name__startswith="b-"):
        services.assign_target_to_groups(target, [group_b])

    counts = {}
    for size in (5, 20, 50):
        fresh = get_user_model().objects.get(pk=alice.pk)
        with CaptureQueriesContext(connection) as captured:
            page = list(access.visible_targets(fresh).order_by("-id")[:size])
        counts[size] = len(captured.captured_queries)
        assert len(page) == size
        assert all(target.name.startswith("a-") for target in page)
    assert len(set(counts.values())) == 1, counts
