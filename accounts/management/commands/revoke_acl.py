"""Revoke an individually granted ACL (role ACLs go with the role)."""

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from accounts import access, acl, services


class Command(BaseCommand):
    help = "Revoke an individually granted ACL. ACLs: " + ", ".join(acl.ALL_ACLS)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("acl", choices=acl.ALL_ACLS)

    def handle(self, *args, username, acl, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not services.revoke_acl(user, acl):
            raise CommandError(f"{username} had no individual grant of {acl!r}")
        still = acl in access.effective_acls(user)
        note = " (still held through a role)" if still else ""
        self.stdout.write(f"{acl} revoked from {username}{note}")
