from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Scanning: candidates, sources, photometry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from icare_tom.navigation import register_nav_item

        register_nav_item("Candidates", "sources:candidates", order=10)
        register_nav_item("Sources", "sources:my-groups", order=20)

        from sources.panels import register_source_panel
        from sources.views_uploads import data_panel_context

        register_source_panel("sources/panel_data.html", data_panel_context, order=35)
