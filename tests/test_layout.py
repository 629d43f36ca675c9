"""The base layout: vendored htmx 2 (no CDN), the CSRF header for htmx, messages."""

import re

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_pages_load_htmx_2_from_our_own_static_files(owner_client, workspace):
    body = owner_client.get(
        reverse("integrations:connection-list", args=[workspace.pk])
    ).content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', body)
    assert any("htmx-2" in src for src in scripts), scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    for src in scripts:
        assert finders.find(src.removeprefix("/static/")), f"{src} is not a local static file"


def test_body_sends_the_csrf_token_on_every_htmx_request(owner_client, workspace):
    response = owner_client.get(reverse("integrations:connection-list", args=[workspace.pk]))
    token = response.context["csrf_token"]
    assert f'hx-headers=\'{{"x-csrftoken": "{token}"}}\'' in response.content.decode()


def test_messages_are_shown_after_a_redirect(owner_client, workspace):
    response = owner_client.post(
        reverse("accounts:workspace-detail", args=[workspace.pk]),
        {"rename": "1", "name": "Shiny"},
        follow=True,
    )
    assert "Workspace renamed." in response.content.decode()


def test_htmx_requests_are_recognised(owner_client, workspace):
    response = owner_client.get(
        reverse("integrations:connection-list", args=[workspace.pk]), headers={"HX-Request": "true"}
    )
    assert response.wsgi_request.htmx
