"""A page of 50 cards costs the same number of queries as a page of 10."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sources.models import Classification, Taxonomy
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = pytest.mark.django_db


def test_it_uses_a_constant_number_of_queries(alice, group_a, filter_a):
    taxonomy = Taxonomy.objects.create(name="Fink", version="1", hierarchy={"SN": {}})
    for i in range(60):
        target = make_target(f"ZTF{i:03d}", [group_a])
        add_photometry(target, n=2)
        make_candidate(target, filter_a, hours_ago=1 + i / 100, annotations={"snn": i / 60})
        Classification.objects.create(target=target, taxonomy=taxonomy, label="SN", author_name="x")
    client = Client()
    client.force_login(alice)
    counts = {}
    for size in (10, 50):
        for url in (f"/candidates/?page_size={size}", f"/api/candidates?page_size={size}"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts[url.split("?")[0], size] = len(queries)
    assert counts["/candidates/", 10] == counts["/candidates/", 50]
    assert counts["/api/candidates", 10] == counts["/api/candidates", 50]
