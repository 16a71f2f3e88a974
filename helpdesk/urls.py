from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk import views
from inbox import urls as inbox_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", include((inbox_urls.inbox_patterns, "inbox"))),
    path("image-proxy/", include(inbox_urls.image_proxy_patterns)),
    path("settings/rejected/", include((inbox_urls.rejected_patterns, "rejected"))),
    path("settings/blocked/", include((inbox_urls.blocked_patterns, "blocked"))),
    path("settings/tags/", include((inbox_urls.tags_patterns, "tags"))),
    path("settings/", include("channels_cfg.urls")),
    path("reports/", include("reports.urls")),
    path("anymail/", include("inbox.webhooks.urls")),
    path("django-admin/", admin.site.urls),
]
