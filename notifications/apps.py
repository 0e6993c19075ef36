from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from accounts.models import Notification as AccountNotice
        from icare_tom.navigation import register_topbar_template
        from notifications import receivers

        register_topbar_template("notifications/bell.html")
        post_save.connect(
            receivers.account_notice_saved, sender=AccountNotice, dispatch_uid="icare-notices"
        )
