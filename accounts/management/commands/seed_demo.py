"""Demo groups and shifters so a fresh `make demo` has people to log in as."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand

DEMO_GROUPS = ("Fink", "GRANDMA-A", "GRANDMA-B")
DEMO_USERS = {"alice": ("GRANDMA-A", "Fink"), "bob": ("GRANDMA-B",)}


class Command(BaseCommand):
    help = "Create demo groups and the shifters alice (GRANDMA-A) and bob (GRANDMA-B)."

    def handle(self, *args, **options):
        password = os.environ.get("ICARE_DEMO_PASSWORD", "icare-demo")
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in DEMO_GROUPS}
        user_model = get_user_model()
        for username, group_names in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(*(groups[name] for name in group_names))
        if options["verbosity"]:
            self.stdout.write(
                f"Demo users: {', '.join(DEMO_USERS)} (password from ICARE_DEMO_PASSWORD, "
                f"default 'icare-demo'); data under {settings.VAR_DIR}"
            )
