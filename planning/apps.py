from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from gcn.panels import register_event_panel
        from icare_tom.navigation import register_nav_item
        from planning import signals, views

        register_nav_item("Plans", "planning:plans", order=50)
        register_event_panel("planning/event_panel.html", views.event_panel_context, order=50)
        signals.connect()
