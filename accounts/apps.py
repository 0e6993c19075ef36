from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    from accounts.services import on_user_saved

    if kwargs.get("raw"):
        return
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login or password change changes no membership
    on_user_saved(instance, created)


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's "account" app is titled "Accounts" in the admin too
    verbose_name = "Groups, roles and access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="icare-user")
        from icare_tom.navigation import register_nav_item, register_user_menu_item

        register_nav_item("Groups", "accounts:group-list", order=70)
        register_nav_item(
            "Admin", "admin:index", order=90, visible=lambda request: request.user.is_staff
        )
        register_user_menu_item("Profile", "user-profile", order=10)
        register_user_menu_item("API token", "user-profile#api-token", order=20)
        register_user_menu_item("Notifications", "accounts:notifications", order=30)
        register_user_menu_item("API docs", "api-docs", order=40)

    def profile_details(self):
        """Roles, effective ACLs, groups and the API token on TOM's profile page."""
        return [
            {
                "partial": "accounts/partials/profile_access.html",
                "context": "accounts.views.profile_access_context",
            }
        ]

    def nav_items(self):
        return [{"partial": "accounts/partials/navbar.html", "position": "left"}]
