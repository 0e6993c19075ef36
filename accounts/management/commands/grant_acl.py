"""Grant one named ACL to a user, on top of their roles."""

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from accounts import access, acl, services


class Command(BaseCommand):
    help = "Grant an ACL to a user. ACLs: " + ", ".join(acl.ALL_ACLS)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("acl", choices=acl.ALL_ACLS)

    def handle(self, *args, username, acl, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        created = services.grant_acl(user, acl)
        state = "granted" if created else "already granted"
        effective = ", ".join(sorted(access.effective_acls(user)))
        self.stdout.write(f"{acl} {state} to {username}; effective: {effective}")
