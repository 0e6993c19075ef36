"""Demo groups and people so a fresh `make demo` has someone to log in as, in every role."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand

from accounts import acl, services

DEMO_GROUPS = ("Fink", "GRANDMA-A", "GRANDMA-B")
# username: (role, member of, admin of)
DEMO_USERS = {
    "alice": (acl.FULL_USER, ("GRANDMA-A", "Fink"), ()),
    "bob": (acl.FULL_USER, ("GRANDMA-B",), ()),
    "carol": (acl.GROUP_ADMIN, ("GRANDMA-A",), ("GRANDMA-A",)),
    "victor": (acl.VIEW_ONLY, ("GRANDMA-A",), ()),
}


class Command(BaseCommand):
    help = (
        "Create demo groups and people: alice (GRANDMA-A, Full user), bob (GRANDMA-B, Full "
        "user), carol (admin of GRANDMA-A) and victor (GRANDMA-A, View only)."
    )

    def handle(self, *args, **options):
        password = os.environ.get("ICARE_DEMO_PASSWORD", "icare-demo")
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in DEMO_GROUPS}
        user_model = get_user_model()
        for username, (role, member_of, admin_of) in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save()
            services.set_only_role(user, role)
            for name in member_of:
                services.add_member(groups[name], user, admin=name in admin_of)
        if options["verbosity"]:
            self.stdout.write(
                f"Demo users: {', '.join(DEMO_USERS)} (password from ICARE_DEMO_PASSWORD, "
                f"default 'icare-demo'); data under {settings.VAR_DIR}"
            )
