from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "facilities"
    default_auto_field = "django.db.models.BigAutoField"

    def observation_facilities(self):
        """TOM Toolkit's integration point: the facility plugins this app provides."""
        from facilities.plugins import PLUGIN_CLASSES

        return [{"class": path} for path in PLUGIN_CLASSES]

    def ready(self):
        from icare_tom.navigation import register_nav_item

        register_nav_item("Follow-up", "facilities:followup", order=40)
        from facilities import panels

        panels.register()
        from django.db.models.signals import post_init, post_save

        from facilities.models import FollowupRequest
        from facilities.notify import followup_loaded, followup_saved

        post_init.connect(followup_loaded, sender=FollowupRequest, dispatch_uid="followup-seen")
        post_save.connect(followup_saved, sender=FollowupRequest, dispatch_uid="followup-notify")
