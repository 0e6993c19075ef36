from django.apps import AppConfig


class GcnConfig(AppConfig):
    name = "gcn"
    default_auto_field = "django.db.models.BigAutoField"
