"""Everything `make demo` needs before its processes start: schema, admin, demo data."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command


class Command(BaseCommand):
    help = "Migrate, create the admin account and seed demo groups and users (idempotent)."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_admin()
        call_command("seed_demo", verbosity=options["verbosity"])
        call_command("seed_followup_demo", verbosity=options["verbosity"])
        call_command("seed_planning_demo", verbosity=options["verbosity"])

    def _ensure_admin(self) -> None:
        username = os.environ.get("ICARE_ADMIN_USERNAME", "admin")
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"Admin account '{username}' exists; log in with its password.")
            return
        password = os.environ.get("ICARE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(
            username=username, email=os.environ.get("ICARE_ADMIN_EMAIL", ""), password=password
        )
        credentials = settings.VAR_DIR / "admin-credentials.txt"
        credentials.touch(mode=0o600)
        credentials.write_text(f"username: {username}\npassword: {password}\n")
        banner = "=" * 60
        self.stdout.write(
            f"{banner}\nCreated admin account  username: {username}  password: {password}\n"
            f"(also written to {credentials}; shown only this once)\n{banner}"
        )
