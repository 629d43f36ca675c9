from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ dict|get_item:key }}`: a dictionary lookup with a variable key (None if absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
