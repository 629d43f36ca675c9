"""The look of the sandbox's own pages (consent screens): the app's card, buttons and inputs.

The sandbox is a separate server and cannot use Django's static files, so it serves this
small copy of static/css/app.css's colours, buttons and inputs itself, at LOOK_PATH for every
mounted sandbox. tests/sandboxes/kit/test_look.py checks the colours still match app.css.
"""

from html import escape

from sandboxes.kit.web import Response, html_response

LOOK_PATH = "/_kit/look.css"
FAVICON_PATH = "/_kit/favicon.svg"

CSS = """\
:root {
  --fg: #1d2330; --muted: #667085; --bg: #f6f7f9; --card: #fff; --line: #e3e6ea;
  --accent: #2454d6; --accent-dark: #1b43b0; --accent-fg: #fff; --line-strong: #c9ced6;
  --ring: 0 0 0 3px rgba(36, 84, 214, .3); --danger: #c0352b;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); line-height: 1.5; padding: 3rem 1rem; }
a { color: var(--accent); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 1.5rem; max-width: 32rem; margin: 0 auto; overflow-wrap: anywhere; }
.card h1 { margin: .25rem 0 1rem; font-size: 1.5rem; line-height: 1.25; }
.sandbox-label { margin: 0; color: var(--muted); font-size: .8rem; font-weight: 600;
  text-transform: uppercase; letter-spacing: .05em; }
ul.scopes { padding-left: 1.2rem; }
ul.scopes li { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem;
  margin-bottom: .35rem; }
ul.scopes li small { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--muted); font-size: .85rem; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
label.choice { position: relative; font-weight: 400; padding: .6rem .75rem .6rem 2.3rem;
  border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .5rem; cursor: pointer; }
label.choice input { position: absolute; left: .8rem; top: .95rem; margin: 0; }
label.choice:hover { border-color: var(--accent); }
label.choice small { color: var(--muted); }
input[type=text], input[type=email], input[type=password], input:not([type]), select, textarea {
  width: 100%; min-height: 2.35rem; padding: .45rem .6rem; border: 1px solid var(--line-strong);
  border-radius: 6px; font: inherit; color: var(--fg); background: var(--card); }
input:focus, select:focus, textarea:focus { outline: none; border-color: var(--accent);
  box-shadow: var(--ring); }
input[type=checkbox], input[type=radio] { width: 1rem; height: 1rem; accent-color: var(--accent); }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: 1.25rem; }
button, .button { display: inline-flex; align-items: center; justify-content: center; gap: .4rem;
  min-height: 2.35rem; padding: .4rem .95rem; border: 1px solid var(--line-strong);
  border-radius: 6px; background: var(--card); color: var(--fg); font: inherit; font-weight: 600;
  line-height: 1.25; cursor: pointer; text-decoration: none; }
button:hover, .button:hover { background: #f1f3f6; border-color: #aab1bd; }
button:focus-visible, .button:focus-visible, a:focus-visible { outline: none;
  box-shadow: var(--ring); }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent);
  color: var(--accent-fg); }
button.primary:hover, .button.primary:hover { background: var(--accent-dark);
  border-color: var(--accent-dark); }
button.danger, .button.danger { color: var(--danger); border-color: #e8b4af; }
button.danger:hover, .button.danger:hover { background: #fff5f4; border-color: var(--danger); }
.error { color: var(--danger); }
@media (max-width: 640px) { body { padding: 1rem .75rem; } .card { padding: 1.1rem; } }
"""

# A neutral mark for the sandbox's tab: a grey rounded square with "SB" (an original drawing).
FAVICON = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" \
fill="#667085"/><text x="16" y="16" dy=".36em" text-anchor="middle" fill="#fff" \
font-family="Arial, Helvetica, sans-serif" font-size="13" font-weight="700">SB</text></svg>
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
<link rel="stylesheet" href="{css}">
</head>
<body><main class="card"><p class="sandbox-label">{system} sandbox</p><h1>{title}</h1>
{content}</main></body></html>"""


def page(system: str, title: str, content: str, status: int = 200) -> Response:
    """A sandbox page in the shared look; `content` is HTML the caller has escaped."""
    html = PAGE.format(
        title=escape(title),
        system=escape(system),
        content=content,
        favicon=FAVICON_PATH,
        css=LOOK_PATH,
    )
    return html_response(html, status)


def asset(name: str) -> Response | None:
    """`/_kit/<name>`: the stylesheet or the favicon; None for anything else."""
    if name == LOOK_PATH.rsplit("/", 1)[1]:
        body, kind = CSS, "text/css; charset=utf-8"
    elif name == FAVICON_PATH.rsplit("/", 1)[1]:
        body, kind = FAVICON, "image/svg+xml"
    else:
        return None
    return Response(200, body.encode(), {"Content-Type": kind, "Cache-Control": "max-age=300"})
