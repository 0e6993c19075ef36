from django.templatetags.static import static
from django.urls import include, path, reverse
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import acl
from accounts.url_policy import guarded_urlconf, read_only, redirect_to, serve
from icare_tom import views

# --------------------------------------------------------------------------- TOM Toolkit
# Every URL TOM Toolkit mounts is served behind `accounts` (our group and ACL rules,
# target-scoped URLs checked by accounts.middleware.TargetAccessMiddleware), redirected to
# our page for the same need, or unmounted (404; the name still reverses for TOM templates).
# A TOM URL name missing here is unmounted. tests/accounts/test_tom_url_policy.py lists the
# decision of every TOM URL and fails when TOM adds one nobody decided about.
TOM_URL_POLICY = {
    # signing in and out, sign-up (approval required), password, two-factor: allauth's
    "account_*": serve(why="allauth: authentication pages"),
    "mfa_*": serve(why="allauth: two-factor authentication"),
    "login": serve(),
    "logout": serve(),
    "rest_framework:login": serve(why="redirects to the site's login"),
    "rest_framework:logout": serve(why="redirects to the site's logout"),
    "robots_txt": serve(),
    "terms-of-service": serve(),
    "terms-accept": serve(),
    # the profile page (our access card and API token live on it) and one's own account
    "user-profile": read_only(),
    "user-update": serve(why="TOM lets a user edit only themselves (superusers anyone)"),
    "user-delete": serve(why="TOM lets a user delete only themselves (superusers anyone)"),
    # user management: the user list names every account, so only user managers see it
    "user-list": read_only(acl=acl.MANAGE_USERS),
    "user-create": serve(acl=acl.MANAGE_USERS),
    "user-approve": serve(acl=acl.MANAGE_USERS),
    "admin-user-change-password": serve(acl=acl.MANAGE_USERS),
    # the Django admin: staff only (super admins), its own permission checks
    "admin:*": serve(),
    # TOM's target pages that read one target (404 for targets the user may not see)
    # (not ?update_status=: a GET that polled every facility and changed records)
    "targets:detail": read_only(refuse_params=("update_status",)),
    # TOM's target list wrote names into an inline script: our group source lists instead
    "targets:list": redirect_to(lambda request: reverse("sources:my-groups")),
    "targets:name-search": redirect_to(
        lambda request, name: reverse("sources:source", args=[name])
    ),
    # TOM's REST API: reading targets and one's groups; every write goes through our API
    "api:api-root": read_only(),
    "api:groups-list": read_only(),
    "api:targets-list": read_only(why="TOM filters by the user's view_target permission"),
    "api:targets-detail": read_only(why="TOM filters by the user's view_target permission"),
    # Unmounted (absent from this table): target create/import/seed/update/delete/merge/
    # export/share/groupings/persistent shares (writes into any group, CSV import), every
    # data-product view (upload into other groups' targets + open redirect, share returning
    # other groups' data, feature changing state on GET), django_comments and TOM's comment
    # delete (comments of other groups), the calendar (delete on GET), observation and
    # data-service pages (no facility configured in TOM; ours are in `facilities`), TOM's
    # user-group pages (ours are under /groups/), target-list/extra/name, observation,
    # data-product and reduced-datum APIs, and api/token-auth (tokens come from the profile
    # page, after the login throttle and two-factor).
}

urlpatterns = [
    path("health", views.health, name="health"),
    path("favicon.ico", RedirectView.as_view(url=static("icare/favicon.svg"), permanent=True)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its start-up script served from a URL (?script), not inline: the CSP
    # allows no inline script without the page's nonce.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("sources.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("shifts.urls")),
    path("api/objects/", include("sources.urls_api_objects")),
    path("cutouts/", include("sources.urls_cutouts")),
    path("", include("brokers.urls")),
    path("api/", include("planning.urls_api")),
    path("api/gcn_events/", include("gcn.urls_api")),
    path("plans/", include("planning.urls")),
    path("gcn/", include("gcn.urls")),
    path("", include("facilities.urls")),
    guarded_urlconf("tom_common.urls", TOM_URL_POLICY),
]
