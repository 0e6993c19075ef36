#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
    from icare_tom.embedded import provide_services

    provide_services()  # embedded PostgreSQL/Redis where DATABASE_URL/REDIS_URL are unset
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
