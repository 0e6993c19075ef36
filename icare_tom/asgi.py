import os

from django.core.asgi import get_asgi_application

from icare_tom.embedded import provide_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
provide_services()  # embedded PostgreSQL/Redis where DATABASE_URL/REDIS_URL are unset
application = get_asgi_application()
