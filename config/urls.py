from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from accounts.views import home
from diagnostics.metrics_views import metrics
from diagnostics.views import health

# Admin sign-in goes through allauth, so it gets the same rate limits and MFA.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "ContactBridge administration"

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    # No trailing slash: Prometheus scrapes /metrics as it is, without following redirects.
    path("metrics", metrics, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    # Before integrations: its placeholder flow list (same path) is replaced by the real one.
    path("", include("sync.urls")),
    path("", include("integrations.urls")),
    path("", include("mappings.urls")),
    path("", include("diagnostics.urls")),
]
