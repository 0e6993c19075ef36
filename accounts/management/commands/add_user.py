"""Create (or update) a user with a role and group memberships."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, CommandError

from accounts import acl, services


class Command(BaseCommand):
    help = "Create or update a user with one role and optional groups. Roles: " + ", ".join(
        acl.ALL_ROLES
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", default=acl.DEFAULT_ROLE, choices=acl.ALL_ROLES)
        parser.add_argument("--group", action="append", default=[], help="member of (repeat)")
        parser.add_argument("--group-admin", action="append", default=[], help="admin of (repeat)")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="set this password (else the account has none)")

    def handle(self, *args, username, role, group, group_admin, email, password, **options):
        names = [*group, *group_admin]
        groups = {g.name: g for g in Group.objects.filter(name__in=names)}
        missing = sorted(set(names) - set(groups))
        if missing:
            raise CommandError(f"no such group: {', '.join(missing)} (create_group first)")
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": email}
        )
        if password:
            user.set_password(password)
            user.save()
        elif created:
            user.set_unusable_password()
            user.save()
        services.set_only_role(user, role)
        for name in names:
            services.add_member(groups[name], user, admin=name in group_admin)
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} {username}: {role}; groups {', '.join(names) or 'none'}")
