"""A person on the Orderspace sandbox's consent page, driven with `requests`: open the page,
read its form (action, hidden fields, the Authorize / Deny buttons) and submit one button,
as a browser would."""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from tests.sandboxes.support import TIMEOUT


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.method = ""
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}  # value → (name, value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action") or ""
            self.method = (attrs.get("method") or "get").lower()
        elif tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and attrs.get("name"):
            self.buttons[attrs["value"]] = (attrs["name"], attrs["value"])


@dataclass
class ConsentPage:
    url: str
    status: int
    html: str
    action: str
    fields: dict
    buttons: dict

    def submit(self, button: str) -> dict:
        """Press `button` ("approve" or "deny"); returns where the browser is sent back:
        {"url", "path", "query"} (the query as single values)."""
        name, value = self.buttons[button]
        response = requests.post(
            self.action, data={**self.fields, name: value}, allow_redirects=False, timeout=TIMEOUT
        )
        assert response.status_code in (302, 303), response.text
        return back(response.headers["Location"])


def back(location: str) -> dict:
    parts = urlsplit(location)
    return {
        "url": location,
        "path": parts.path,
        "query": {key: values[0] for key, values in parse_qs(parts.query).items()},
    }


def open_page(authorize_url: str) -> ConsentPage:
    response = requests.get(authorize_url, allow_redirects=False, timeout=TIMEOUT)
    reader = _FormReader()
    reader.feed(response.text)
    action = urljoin(authorize_url, reader.action) if reader.action is not None else ""
    return ConsentPage(
        url=authorize_url,
        status=response.status_code,
        html=response.text,
        action=action,
        fields=reader.fields,
        buttons=reader.buttons,
    )


def consent(authorize_url: str, button: str = "approve") -> dict:
    page = open_page(authorize_url)
    assert page.status == 200 and page.action, page.html
    return page.submit(button)
