"""Every URL pattern, discovered by walking the resolver, is asked for group A's target.

Outsiders (bob in group B, anonymous, an account awaiting approval) never get A's data —
not on GET (also with ``?target_id=`` naming A's target), not on POST (which must change
nothing of A's). Insiders get their pages: every
Target page answers 200 to alice, the view-only member, the group admin and the super admin.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from tom_targets.models import Target

from accounts import acl, services
from accounts.models import TargetGroupObjectPermission
from tests.accounts.attack import body_text, client_for
from tests.accounts.conftest import SECRET_ALIAS, SECRET_NAME
from tests.accounts.url_walk import WalkedPattern, build_url, walk
from tests.people import make_user

# Patterns whose parameters cannot be filled with an object id or name. The test fails when
# an entry stops being needed (the pattern went away or became fillable), so it stays small.
UNFILLABLE: set[str] = set()

# Pages anybody may open: sign-in, sign-up and their helpers, health, terms, static files.
PUBLIC_NAMES = {
    "account_login",
    "account_signup",
    "login",
    "health",
    "terms-of-service",
    "robots_txt",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_reauthenticate",
    "account_login_code_confirm",
    "mfa_authenticate",
    "mfa_reauthenticate",
}
GOOD_REFUSALS = {301, 302, 401, 403, 404, 405}
# Approved outsiders have pages of their own; only URLs naming A's objects must refuse them.
SIGNED_IN = ("bob", "groupless")
CHANGE_WORDS = ("update", "delete")
# Target pages insiders cannot open, and why (kept tiny; each is a TOM Toolkit view).
INSIDER_EXEMPT = {
    # needs the model-wide tom_targets.view_target permission, which nobody is given: with
    # it, guardian's get_objects_for_user would return every target in the database
    "target-selection",
}


def _model_of(callback) -> type | None:
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view is None:
        return None
    model = getattr(view, "model", None)
    queryset = getattr(view, "queryset", None)
    if model is None and queryset is not None:
        model = queryset.model
    serializer = getattr(view, "serializer_class", None)
    if model is None and serializer is not None:  # REST framework viewsets
        model = getattr(getattr(serializer, "Meta", None), "model", None)
    return model


OUR_APPS = (
    "icare_tom",
    "accounts",
    "notifications",
    "sources",
    "brokers",
    "gcn",
    "facilities",
    "shifts",
)


def _ours(callback) -> bool:
    """Views of this project (TOM Toolkit's own views 500 on features left unconfigured)."""
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
    return view.__module__.split(".")[0] in OUR_APPS


def _client(user=None) -> Client:
    return client_for(user)


@pytest.fixture
def world(alice, bob, viewer, carol, superadmin, unapproved, target_a, group_a):
    link = services.publish_target(carol, target_a)
    revoked = services.publish_target(carol, target_a)
    services.revoke_public_link(carol, revoked)
    link.delete()  # only the revoked token remains in play
    candidates = {
        "int": [str(target_a.pk)],
        "str": [SECRET_NAME],
        "by_param": {
            "token": [revoked.token],  # a revoked public link must answer 404
            "format": ["json", ".json"],  # REST framework's format suffixes
            "app_label": ["tom_targets"],  # the admin's per-app index
        },
    }
    patterns = walk()
    urls: dict[WalkedPattern, str] = {}
    unfillable: set[str] = set()
    for pattern in patterns:
        url = build_url(pattern, candidates)
        if url is None:
            unfillable.add(pattern.regex)
        else:
            urls[pattern] = url
    return {"urls": urls, "unfillable": unfillable, "target": target_a, "group": group_a}


def _leaks(url: str, text: str) -> bool:
    """A's alias anywhere, or A's name where the request did not itself carry it."""
    return SECRET_ALIAS in text or (SECRET_NAME in text and SECRET_NAME not in url)


def _a_state(target: Target, group: Group):
    return (
        Target.objects.filter(pk=target.pk).values_list("name", "ra", "dec").first(),
        sorted(
            TargetGroupObjectPermission.objects.filter(content_object=target).values_list(
                "group_id", "permission_id"
            )
        ),
        target.photometry.count(),
        group.user_set.count(),
    )


@pytest.mark.django_db
def test_it_discovers_every_pattern_and_the_exclusions_are_current(world):
    assert len(world["urls"]) > 100
    assert world["unfillable"] == UNFILLABLE, (
        f"update UNFILLABLE: new {sorted(world['unfillable'] - UNFILLABLE)}, "
        f"stale {sorted(UNFILLABLE - world['unfillable'])}"
    )


@pytest.fixture
def groupless(db):
    """An approved account in no group but the sitewide one."""
    return make_user("gus", acl.FULL_USER)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "anonymous", "unapproved", "groupless"])
def test_it_never_gives_outsiders_group_a_data(world, who, bob, unapproved, groupless):
    user = {"bob": bob, "anonymous": None, "unapproved": unapproved, "groupless": groupless}[who]
    before = _a_state(world["target"], world["group"])
    failures = []
    query = f"?target_id={world['target'].pk}"
    for pattern, plain_url in world["urls"].items():
        for method, url in (("get", plain_url), ("get", plain_url + query), ("post", plain_url)):
            response = getattr(_client(user), method)(url)
            status = response.status_code
            said = f"{method.upper()} {url} ({pattern.name})"
            if _leaks(url, body_text(response)):
                failures.append(f"{said} shows A's target")
            if status == 500 and _ours(pattern.callback):
                failures.append(f"{said} → 500")
            refused = status in GOOD_REFUSALS
            public = pattern.name in PUBLIC_NAMES
            if not refused and not public and (who not in SIGNED_IN or SECRET_NAME in url):
                failures.append(f"{said} → {status}")
            if _leaks(url, response.headers.get("Location", "")):
                failures.append(f"{said} redirects to {response.headers['Location']}")
    assert _a_state(world["target"], world["group"]) == before, "an outsider changed A's data"
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_it_lets_a_view_only_member_change_nothing_of_group_a(world, viewer):
    """victor sees A's pages but every POST (and GET) of every URL leaves A's data as it was."""
    before = _a_state(world["target"], world["group"])
    client = _client(viewer)
    for plain_url in world["urls"].values():
        for method in ("get", "post"):
            response = getattr(client, method)(plain_url)
            body_text(response)
            if response.status_code == 302 and "logout" in plain_url:
                client = _client(viewer)  # signed out by the POST: sign in again
    assert _a_state(world["target"], world["group"]) == before, "victor changed A's data"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "viewer", "carol", "superadmin"])
def test_it_gives_insiders_every_target_page(world, who, alice, viewer, carol, superadmin):
    user = {"alice": alice, "viewer": viewer, "carol": carol, "superadmin": superadmin}[who]
    failures = []
    checked = 0
    for pattern, url in world["urls"].items():
        if _model_of(pattern.callback) is not Target:
            continue
        if pattern.name in INSIDER_EXEMPT:
            continue
        if any(word in (pattern.name or "") for word in CHANGE_WORDS):
            continue  # changing a target needs Manage sources, not membership
        response = _client(user).get(url)
        checked += 1
        location = response.headers.get("Location", "")
        if response.status_code in (200, 405) or (
            response.status_code == 302 and "login" not in location
        ):
            continue  # shown, POST-only, or a form's redirect to its next step
        failures.append(f"GET {url} ({pattern.name}) → {response.status_code} {location}")
    assert checked >= 3
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_it_shows_alice_her_target_on_its_pages(world, alice):
    target = world["target"]
    for url in (f"/targets/{target.pk}/", f"/targets/{target.pk}/access/", "/api/targets/"):
        response = _client(alice).get(url)
        assert response.status_code == 200, url
        assert SECRET_NAME in response.content.decode(), url
