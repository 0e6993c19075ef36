from django.apps import AppConfig


class GcnConfig(AppConfig):
    name = "gcn"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from icare_tom.navigation import register_nav_item

        register_nav_item("GCN events", "gcn:events", order=30)
