"""Groups, join requests, profile access card, tokens, sharing and public links.

Views stay thin: every decision is made by ``accounts.access`` and every change by
``accounts.services``. Objects the user may not see are answered with 404, never the data.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from accounts import access, acl, services
from accounts.models import GroupAdministrator, JoinRequest, Notification, PublicLink


def _member_group_or_404(user, pk: int) -> Group:
    """A group the user belongs to or administers; 404 otherwise (names of others' groups are
    listed on the groups page, their members are not)."""
    group = get_object_or_404(Group, pk=pk)
    member = access.is_super_admin(user) or group.pk in access.user_group_ids(user)
    if not member and not access.is_group_admin(user, group):
        raise Http404("no such group")
    return group


# --------------------------------------------------------------------------- profile


def profile_access_context(user) -> dict:
    """Context of the access card on TOM's profile page."""
    role_names = access.roles_of(user)
    grants = access.granted_acls(user)
    from_roles = {name for role in role_names for name in acl.ROLE_ACLS.get(role, ())}
    acl_rows = [
        {
            "name": name,
            "via_role": name in from_roles or user.is_superuser,
            "granted": name in grants,
        }
        for name in acl.ALL_ACLS
        if name in access.effective_acls(user)
    ]
    admin_of = set(GroupAdministrator.objects.filter(user=user).values_list("group_id", flat=True))
    groups = [
        {"group": group, "is_admin": group.pk in admin_of}
        for group in Group.objects.filter(id__in=access.user_group_ids(user)).order_by("name")
    ]
    return {
        "access_roles": role_names,
        "access_acls": acl_rows,
        "access_groups": groups,
        "access_token": Token.objects.filter(user=user).first(),
        "access_unread": Notification.objects.filter(recipient=user, read__isnull=True).count(),
    }


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    token = services.create_api_token(request.user)
    messages.success(
        request, f"New API token: {token.key} — any previous token stopped working now."
    )
    return redirect("user-profile")


@require_POST
@login_required
def token_revoke(request: HttpRequest) -> HttpResponse:
    if services.revoke_api_token(request.user):
        messages.success(request, "API token revoked; it stopped working now.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("user-profile")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(Notification.objects.filter(recipient=request.user)[:200])
    if request.method == "POST":
        Notification.objects.filter(recipient=request.user, read__isnull=True).update(
            read=timezone.now()
        )
        return redirect("accounts:notifications")
    return render(request, "accounts/notifications.html", {"notifications": items})


# --------------------------------------------------------------------------- groups


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            group = services.create_group(request.POST.get("name", ""), creator=user)
        except services.AccessDenied as error:
            raise PermissionDenied(str(error)) from error
        except ValueError as error:
            messages.error(request, str(error))
            return redirect("accounts:group-list")
        messages.success(request, f"Group {group.name} created; you are its admin.")
        return redirect("accounts:group-detail", pk=group.pk)
    mine = set(access.user_group_ids(user))
    admin_of = set(GroupAdministrator.objects.filter(user=user).values_list("group_id", flat=True))
    pending = set(
        JoinRequest.objects.filter(user=user, status=JoinRequest.PENDING).values_list(
            "group_id", flat=True
        )
    )
    rows = [
        {
            "group": group,
            "member": group.pk in mine,
            "admin": group.pk in admin_of,
            "pending": group.pk in pending,
            "sitewide": group.name == access.sitewide_group_name(),
        }
        for group in Group.objects.order_by("name")
    ]
    return render(
        request,
        "accounts/group_list.html",
        {"rows": rows, "may_create": access.may_create_groups(user)},
    )


@require_GET
@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = _member_group_or_404(request.user, pk)
    admins = set(GroupAdministrator.objects.filter(group=group).values_list("user_id", flat=True))
    members = [
        {"user": member, "is_admin": member.pk in admins}
        for member in group.user_set.order_by("username")
    ]
    is_admin = access.is_group_admin(request.user, group)
    requests_ = (
        JoinRequest.objects.filter(group=group, status=JoinRequest.PENDING).select_related("user")
        if is_admin
        else []
    )
    return render(
        request,
        "accounts/group_detail.html",
        {"group": group, "members": members, "is_admin": is_admin, "join_requests": requests_},
    )


def _admin_group_or_404(user, pk: int) -> Group:
    group = _member_group_or_404(user, pk)
    if not access.is_group_admin(user, group):
        raise PermissionDenied("only the group's admins manage its members")
    return group


@require_POST
@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    group = _admin_group_or_404(request.user, pk)
    username = request.POST.get("username", "").strip()
    member = get_user_model().objects.filter(username=username, is_active=True).first()
    if member is None:
        messages.error(request, f"No active user named {username!r}.")
    else:
        services.add_member(group, member, admin=request.POST.get("is_admin") == "on")
        messages.success(request, f"{member.username} added to {group.name}.")
    return redirect("accounts:group-detail", pk=group.pk)


@require_POST
@login_required
def member_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    group = _admin_group_or_404(request.user, pk)
    member = get_object_or_404(group.user_set, pk=user_pk)
    try:
        services.remove_member(group, member)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{member.username} removed from {group.name}.")
    return redirect("accounts:group-detail", pk=group.pk)


@require_POST
@login_required
def member_admin(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    group = _admin_group_or_404(request.user, pk)
    member = get_object_or_404(group.user_set, pk=user_pk)
    services.set_group_admin(group, member, request.POST.get("is_admin") == "on")
    return redirect("accounts:group-detail", pk=group.pk)


@require_POST
@login_required
def group_join(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(Group, pk=pk)
    try:
        services.request_to_join(group, request.user)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Asked the admins of {group.name} to let you in.")
    return redirect("accounts:group-list")


@require_POST
@login_required
def join_request_decide(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    group = _admin_group_or_404(request.user, pk)
    join_request = get_object_or_404(JoinRequest, pk=request_pk, group=group)
    try:
        services.decide_join_request(
            join_request, request.user, accept=request.POST.get("decision") == "accept"
        )
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("accounts:group-detail", pk=group.pk)


# --------------------------------------------------------------------------- sharing, links


@login_required
def target_access(request: HttpRequest, pk: int) -> HttpResponse:
    """Which groups own a target, "Share with" more, and its public links."""
    target = access.target_for(request.user, pk=pk)
    if request.method == "POST":
        try:
            wanted = Group.objects.filter(pk__in=request.POST.getlist("groups"))
            added = services.share_target(request.user, target, wanted)
        except services.AccessDenied as error:
            raise PermissionDenied(str(error)) from error
        except ValueError as error:
            messages.error(request, f"Not shared: {error}")
        else:
            names = ", ".join(group.name for group in added) or "no new group"
            messages.success(request, f"Shared with {names}.")
        return redirect("accounts:target-access", pk=target.pk)
    owners = access.owning_groups(target).order_by("name")
    links = PublicLink.objects.filter(target=target).order_by("-created")
    return render(
        request,
        "accounts/target_access.html",
        {
            "target": target,
            "owners": owners,
            "shareable": Group.objects.exclude(pk__in=owners).order_by("name"),
            "may_share": access.may_share(request.user, target),
            "may_publish": access.may_publish(request.user, target),
            "links": links,
        },
    )


@require_POST
@login_required
def public_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    target = access.target_for(request.user, pk=pk)
    try:
        link = services.publish_target(request.user, target)
    except services.AccessDenied as error:
        raise PermissionDenied(str(error)) from error
    except ValueError as error:
        messages.error(request, str(error))
    else:
        url = request.build_absolute_uri(f"/public/{link.token}/")
        messages.success(request, f"Public read-only link: {url}")
    return redirect("accounts:target-access", pk=target.pk)


@require_POST
@login_required
def public_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(
        PublicLink.objects.filter(target__in=access.visible_targets(request.user)), pk=pk
    )
    try:
        services.revoke_public_link(request.user, link)
    except services.AccessDenied as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Public link revoked; it answers 404 from now on.")
    return redirect("accounts:target-access", pk=link.target_id)


@require_GET
def public_target(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only public page of a published target: basics and photometry."""
    link = access.live_public_link(token)
    if link is None:
        raise Http404("no such public link")
    from accounts.public import public_target_context

    nonce = str(request.csp_nonce) if hasattr(request, "csp_nonce") else ""
    context = public_target_context(link.target, nonce)
    response = render(request, "accounts/public_target.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
