from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from icare_tom.navigation import register_nav_item

        register_nav_item("Candidates", "sources:candidates", order=10)
        register_nav_item("Sources", "sources:my-groups", order=20)
