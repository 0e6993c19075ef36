from django.apps import AppConfig


class ShiftsConfig(AppConfig):
    name = "shifts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from icare_tom.navigation import register_banner_template, register_nav_item
        from notifications.services import register_on_shift_provider
        from shifts.services import on_shift_user_ids

        register_nav_item("Shifts", "shifts:calendar", order=60)
        register_banner_template("shifts/on_shift_banner.html")
        register_on_shift_provider(on_shift_user_ids)
