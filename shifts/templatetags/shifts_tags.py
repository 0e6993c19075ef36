from django import template

from shifts.services import current_shifts

register = template.Library()


@register.simple_tag(takes_context=True)
def my_current_shifts(context) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return current_shifts(user)
