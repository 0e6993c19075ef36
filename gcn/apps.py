from django.apps import AppConfig


class GcnConfig(AppConfig):
    name = "gcn"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from functools import partial

        from django.conf import settings

        from gcn import notices

        notices.set_max_notice_bytes(settings.ICARE_MAX_NOTICE_BYTES)

        from gcn.listener import METRICS_PREFIX
        from icare_tom.health import EXTRA_CHECKS
        from icare_tom.navigation import register_nav_item
        from icare_tom.stream_metrics import consumers_health

        register_nav_item("GCN events", "gcn:events", order=30)
        EXTRA_CHECKS["gcn_listener"] = partial(consumers_health, prefix=METRICS_PREFIX)

        from django.db.models.signals import post_save

        from gcn import notify
        from gcn.models import GcnNotice, Localization

        post_save.connect(notify.notice_saved, sender=GcnNotice, dispatch_uid="gcn-notify")
        post_save.connect(notify.localization_saved, sender=Localization, dispatch_uid="gcn-loc")

        from gcn import queue_scope

        queue_scope.register()
