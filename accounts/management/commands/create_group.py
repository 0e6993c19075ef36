"""Create a group, optionally with its first admin."""

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = "Create a group (science team); --admin USERNAME makes that user a member and its admin."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--admin", help="username of the group's first admin")

    def handle(self, *args, name, admin=None, **options):
        try:
            group = services.create_group(name)
            if admin:
                user = get_user_model().objects.filter(username=admin).first()
                if user is None:
                    raise CommandError(f"no user named {admin!r}")
                services.add_member(group, user, admin=True)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"created group {group.name} (id {group.pk})")
