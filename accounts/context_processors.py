from accounts.selectors import workspaces_for_user


def workspaces(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "user_workspaces": workspaces_for_user(user=request.user),
    }
