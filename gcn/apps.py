from django.apps import AppConfig


class GcnConfig(AppConfig):
    name = "gcn"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from icare_tom.navigation import register_nav_item

        register_nav_item("GCN events", "gcn:events", order=30)

        from django.db.models.signals import post_save

        from gcn import notify
        from gcn.models import GcnNotice, Localization

        post_save.connect(notify.notice_saved, sender=GcnNotice, dispatch_uid="gcn-notify")
        post_save.connect(notify.localization_saved, sender=Localization, dispatch_uid="gcn-loc")

        from gcn import queue_scope

        queue_scope.register()
