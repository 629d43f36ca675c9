"""Every page is sent with a Content-Security-Policy that allows only this site's own scripts
and styles, and no page relies on what that policy blocks: inline scripts, inline event
handlers, style attributes or htmx's eval."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from mappings import services as mapping_services


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' / 'unsafe-eval' would block."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.script_sources: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=...> (inline style)")
            if name.startswith(("hx-on", "data-hx-on")) or (
                name in ("hx-vals", "hx-headers") and (value or "").lstrip().startswith("js:")
            ):
                self.problems.append(f"<{tag} {name}=...> (htmx eval)")
            if (value or "").lstrip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            if "src" in attributes:
                self.script_sources.append(attributes["src"])
            elif attributes.get("type") not in ("application/json", "application/ld+json"):
                self._in_inline_script = True  # a data block is fine, code is not
        if tag == "style":
            self.problems.append("<style> element")

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.fixture
def mapping(workspace, owner):
    mapping = mapping_services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    return mapping


def _owner_pages(workspace, mapping):
    ws = workspace.pk
    return [
        reverse("integrations:connection-list", args=[ws]),
        reverse("integrations:connection-new", args=[ws]),
        reverse("sync:flow-list", args=[ws]),
        reverse("mappings:mapping-list", args=[ws]),
        reverse("mappings:mapping-detail", args=[ws, mapping.pk]),
        reverse("mappings:rule-new", args=[ws, mapping.pk]),
        reverse("mappings:rule-condition-row", args=[ws, mapping.pk]) + "?prefix=c&index=0",
        reverse("mappings:rule-transform-row", args=[ws, mapping.pk]) + "?name=trim&index=0",
        reverse("diagnostics:dashboard", args=[ws]),
        reverse("accounts:workspace-detail", args=[ws]),
        reverse("accounts:workspace-new"),
        reverse("account_email"),
        reverse("mfa_index"),
    ]


def test_the_policy_allows_only_this_sites_scripts_and_styles(client, db):
    policy = _policy(client.get(reverse("account_login")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_pages_carry_the_policy_and_no_inline_code(owner_client, workspace, mapping):
    checked = 0
    for url in _owner_pages(workspace, mapping):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        parser = _InlineCode()
        parser.feed(response.content.decode())
        assert parser.problems == [], url
        for src in parser.script_sources:
            assert src.startswith("/static/") and finders.find(src.removeprefix("/static/")), src
        checked += 1
    assert checked == len(_owner_pages(workspace, mapping))


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_signed_out_pages_carry_the_policy_and_no_inline_code(client, db, name):
    response = client.get(reverse(name))
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert parser.problems == []


def test_htmx_is_told_not_to_inject_styles_or_eval(owner_client, workspace):
    body = owner_client.get(
        reverse("integrations:connection-list", args=[workspace.pk])
    ).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', body)
    assert config and '"includeIndicatorStyles": false' in config[1]
    assert '"allowEval": false' in config[1]
    assert re.search(r'<script src="/static/js/app\.js" defer>', body)


def test_the_other_security_headers(owner_client, workspace):
    response = owner_client.get(reverse("integrations:connection-list", args=[workspace.pk]))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_sent_over_https_when_configured(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("account_login"), secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
