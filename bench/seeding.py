"""Big sandboxes for the benches, quickly, and as a sync would leave them. Not a benchmark
(bench/run.py skips it): bench/sync.py and bench/reconcile.py use it.

- `grow_ecwid(app, customers)`: an Ecwid sandbox seeded with its own first customers (the
  sandbox's seed costs ~1.5 ms a customer here: minutes at 100,000) grown to `customers` by
  copying them with a new id, e-mail and phone and a later `updated` second. Names,
  companies and addresses repeat every BASE customers; identities never do.
- `fast_listing(app)`: the sandbox's customer listing filters and sorts every stored
  customer for every page: O(N) a page, O(N^2) a full read (0.3-0.5 s a page at 100,000).
  For the sync's own query (`updatedFrom` + `UPDATED_DATE_ASC`, nothing else) this answers
  the same page with a bisect into the customers sorted by `_updated`, rebuilt when the
  store changes; any other query goes to the sandbox's handler.
- `fast_search(app)`: the HighLevel sandbox's POST /contacts/search applies a filter to every
  contact of the location for every page (O(N^2) a read again: a reconciliation of 100,000
  contacts spent most of its time there). For the incremental read's own query (one
  `dateUpdated` >= bound filter, sorted by `dateUpdated`, no text query) the sandbox's
  handler gets the keys from that bound on, cut with a bisect from the ones it keeps sorted,
  and no filter; any other search goes to the handler as it is.
- `seed_synced(flow, highlevel)`: what a backfill of `flow` leaves, without its one request
  a contact: the flow's own runner reads the source and decides every record (the same
  mapping, the same digests), the HighLevel sandbox's own upsert and note handlers are
  called in this process instead of over HTTP, and the links are saved by sync/links.py, so
  a reconciliation afterwards finds every record in step.
"""

from __future__ import annotations

import io
import json
import re
import time
from bisect import bisect_left, bisect_right
from collections import Counter

BASE = 1_000  # customers the Ecwid sandbox seeds itself; the rest are copies of these
LINKS_PER_SAVE = 1_000
_LAST_SEVEN_DIGITS = re.compile(r"(\d{3})(\D?)(\d{4})$")


# --- Ecwid --------------------------------------------------------------------------------------
def _copy(doc: dict) -> dict:
    """A customer document, its nested dicts and lists copied (no JSON round trip)."""
    copied = {k: (v.copy() if isinstance(v, dict | list) else v) for k, v in doc.items()}
    for key in ("shippingAddresses", "contacts"):
        copied[key] = [dict(item) for item in doc.get(key) or []]
    return copied


def _phone(phone: str, index: int, store: int) -> str:
    """The number with its last seven digits made unique to `index` (its formatting kept), so
    no two customers share a phone: HighLevel's upsert would merge them. `store` moves the
    exchange, so two stores synced into one location rarely share one either."""
    exchange, line = 200 + (index // 10_000 + store * 37) % 800, index % 10_000
    return _LAST_SEVEN_DIGITS.sub(rf"{exchange}\g<2>{line:04d}", phone) if phone else phone


def grow_ecwid(app, customers: int) -> None:
    """Grow the sandbox (seeded with up to BASE customers) to `customers` customers; every
    one's phone made unique. Ids are taken as a block from the sandbox's counter."""
    from sandboxes.ecwid.state import CUSTOMER

    state, store = app.state, app.store
    store_id = app.credentials["store_id"]
    base = [store._docs[CUSTOMER][key] for key in store.ids(CUSTOMER)]
    if not base:
        raise ValueError("grow_ecwid needs a sandbox seeded with some customers")
    with store.batch():
        for index, doc in enumerate(base):
            _set_phone(doc, _phone(doc["billingPerson"].get("phone", ""), index, store_id))
            store.put(CUSTOMER, str(doc["id"]), doc)
        extra = customers - len(base)
        nested = sum(1 + len(d["shippingAddresses"]) + len(d["contacts"]) for d in base)
        next_id = state._next_id  # a block of ids: one counter write, not four per customer
        state._next_id += (extra // len(base) + 1) * nested
        store.set_meta("next_id", state._next_id)
        for index in range(len(base), customers):
            original = base[index % len(base)]
            doc = _copy(original)
            doc["id"], next_id = next_id, next_id + 1
            for item in (*doc["shippingAddresses"], *doc["contacts"]):
                item["id"], next_id = next_id, next_id + 1
            local, _, domain = original["email"].partition("@")
            doc["email"] = f"c{index}.{local}@{domain}"
            for contact in doc["contacts"]:
                if contact["type"] == "EMAIL":
                    contact["contact"] = doc["email"]
            _set_phone(doc, _phone(original["billingPerson"].get("phone", ""), index, store_id))
            doc["_updated"] = original["_updated"] + index // len(base)
            store.put(CUSTOMER, str(doc["id"]), doc)


def _set_phone(doc: dict, phone: str) -> None:
    doc["billingPerson"]["phone"] = phone
    for address in doc["shippingAddresses"]:
        address["phone"] = phone
    for contact in doc["contacts"]:
        if contact["type"] == "PHONE":
            contact["contact"] = phone


def fast_listing(app) -> None:
    """Route the sandbox's GET /customers through `listing` (see the module docstring)."""
    from sandboxes.ecwid import app as ecwid_app
    from sandboxes.ecwid import customers, records
    from sandboxes.ecwid.state import CUSTOMER

    store = app.store
    sorted_docs: dict = {"version": None}
    version = [0]
    put, delete = store.put, store.delete

    def counted_put(kind, doc_id, data):
        version[0] += 1
        return put(kind, doc_id, data)

    def counted_delete(kind, doc_id):
        version[0] += 1
        return delete(kind, doc_id)

    store.put, store.delete = counted_put, counted_delete
    plain = {"sortBy", "updatedFrom", "offset", "limit"}

    def listing(state, request):
        if set(request.query) - plain or request.arg("sortBy") != "UPDATED_DATE_ASC":
            return customers.list_customers(state, request)
        offset, limit = customers._page_params(state, request, state.knobs.default_limit)
        if sorted_docs["version"] != version[0]:
            stored = store._docs.get(CUSTOMER, {}).values()
            docs = sorted(stored, key=customers.SORTS["UPDATED_DATE"])
            sorted_docs.update(version=version[0], docs=docs, keys=[d["_updated"] for d in docs])
        docs, keys = sorted_docs["docs"], sorted_docs["keys"]
        start = 0
        low = customers._date_param(request, "updatedFrom")
        if low is not None:
            find = bisect_left if state.knobs.date_filters_inclusive else bisect_right
            start = find(keys, low)
        chosen = docs[start + offset : start + offset + limit]
        names = state.group_names()
        return 200, {
            "total": len(docs) - start,
            "count": len(chosen),
            "offset": offset,
            "limit": limit,
            "items": [records.customer_out(doc, names) for doc in chosen],
        }

    _reroute(app, ecwid_app, customers.list_customers, listing)


def _reroute(app, module, handler, replacement) -> None:
    """Rebuild the sandbox's router with its own `_routes()`, `replacement` serving the route
    `handler` served (the routes are the module's API_ROUTES, read there)."""
    routes = module.API_ROUTES
    module.API_ROUTES = [(m, p, replacement if h is handler else h, s) for m, p, h, s in routes]
    try:
        app.router = app._routes()
    finally:
        module.API_ROUTES = routes


# --- HighLevel ----------------------------------------------------------------------------------
class _Keys:
    """The sandbox's Data with `keys()` answering `sliced` (everything else its own)."""

    def __init__(self, data, sliced: list):
        self._data, self._sliced = data, sliced

    def keys(self, location_id: str, field: str) -> list:
        return self._sliced

    def __getattr__(self, name: str):
        return getattr(self._data, name)


class _WithData:
    """The sandbox with another `data` (a Ctx reads the data through its app)."""

    def __init__(self, app, data):
        self._app, self.data = app, data

    def __getattr__(self, name: str):
        return getattr(self._app, name)


def _update_bound(body) -> int | None:
    """The epoch-ms bound of the incremental read's search (see the module docstring), or None
    for any other search."""
    from sandboxes.highlevel.records import parse_iso

    if not isinstance(body, dict) or body.get("query") or body.get("page", 1) != 1:
        return None
    if body.get("sort") != [{"field": "dateUpdated", "direction": "asc"}]:
        return None
    filters = body.get("filters")
    if not isinstance(filters, list) or len(filters) != 1 or not isinstance(filters[0], dict):
        return None
    wanted = filters[0]
    value = wanted.get("value")
    if (wanted.get("field"), wanted.get("operator")) != ("dateUpdated", "range"):
        return None
    if not isinstance(value, dict) or set(value) != {"gte"}:
        return None
    bound = value["gte"]
    if isinstance(bound, int) and not isinstance(bound, bool):
        return bound
    return parse_iso(bound) if isinstance(bound, str) else None


def fast_search(app) -> None:
    """Route the sandbox's POST /contacts/search through `searching` (module docstring)."""
    import copy

    from sandboxes.highlevel import app as highlevel_app
    from sandboxes.highlevel import search
    from sandboxes.highlevel.context import Ctx

    def searching(ctx):
        body = ctx.body()
        bound = _update_bound(body)
        if bound is None or not isinstance(body.get("locationId"), str):
            return search.search_contacts(ctx)
        keys = ctx.data.keys(body["locationId"], "dateUpdated")
        sliced = keys[bisect_left(keys, (bound,)) :]  # (ms, id) keys: every id sorts after (ms,)
        request = copy.copy(ctx.request)
        request.body = json.dumps({k: v for k, v in body.items() if k != "filters"}).encode()
        narrowed = _WithData(ctx.app, _Keys(ctx.data, sliced))
        return search.search_contacts(Ctx(narrowed, request, ctx.token, ctx.version))

    _reroute(app, highlevel_app, search.search_contacts, searching)


# --- the links --------------------------------------------------------------------
class HighLevelInProcess:
    """The HighLevel sandbox's own handlers, called in this process with the bodies the
    client would send (no HTTP, no rate limit, not counted in its request stats)."""

    def __init__(self, app, target):
        from sandboxes.highlevel.context import Ctx

        self.app, self.target, self.Ctx = app, target, Ctx
        client = target.client
        self.token = app.tokens.valid_access(app.describe()["private_integration_token"])
        self.version = client.transport.version
        self.location_id = client.location_id

    def call(self, handler, path: str, body: dict, **params) -> dict:
        from sandboxes.kit.web import Request

        raw = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        ctx = self.Ctx(self.app, Request(environ, path), self.token, self.version)
        with self.app.lock:
            _, answer = handler(ctx, **params)
        return answer

    def upsert(self, payload: dict) -> tuple[str, bool]:
        """POST /contacts/upsert of `payload` as the adapter sends it: (contact id, new)."""
        from sandboxes.highlevel import contacts

        data = self.target._input(payload)
        body = {**self.target.client._contact_body(data), "locationId": self.location_id}
        answer = self.call(contacts.upsert, "/contacts/upsert", body)
        return answer["contact"]["id"], answer["new"]

    def add_notes(self, contact_id: str, bodies) -> None:
        from integrations.providers.highlevel.schemas import NoteInput
        from sandboxes.highlevel import tasks_notes
        from sync.actions.text import texts

        for text in texts(list(bodies)):
            body = NoteInput(body=text).payload()
            path = f"/contacts/{contact_id}/notes"
            self.call(tasks_notes.create_note, path, body, contactId=contact_id)


def seed_synced(flow, highlevel_app) -> dict:
    """A backfill of `flow` into `highlevel_app`, its writes made in process (see the module
    docstring). Returns the run's counts; the run is left SUCCEEDED, the cursor saved."""
    from django.utils import timezone

    from integrations.errors import IntegrationError
    from sandboxes.kit.web import HTTPError
    from sync import actions
    from sync.engine.decide import Action
    from sync.links import links_save
    from sync.models import Run, SyncCursor
    from sync.runner import FlowRunner
    from sync.runs import run_start

    started = time.perf_counter()
    run = run_start(flow=flow, trigger="manual")
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=timezone.now())
    runner = FlowRunner(run)
    source, target = runner.source, runner.target
    writer = HighLevelInProcess(highlevel_app, target)
    counts: Counter = Counter()
    links: list = []
    linked: set[str] = set()
    last = None  # the cursor after the last record read, saved as the run saves it
    for record, last in source.list_changed(source.new_cursor()):  # noqa: B007
        counts["processed"] += 1
        source_id = str(source.id_of(record))
        record = actions.source_with_extras(runner.source_provider, source, record, runner.reads)
        decision = runner.decider.decide(record, None)
        if decision.action is not Action.UPSERT:  # skipped or failed by the mapping
            counts[str(decision.outcome)] += 1
            continue
        payload, extras = actions.split_payload(runner.target_provider, decision.payload)
        try:
            target_id, new = writer.upsert(payload)
            if new and extras.get("notes"):
                writer.add_notes(target_id, extras["notes"])
        except (HTTPError, IntegrationError):
            counts["failed"] += 1
            continue
        counts["created" if new else "updated"] += 1
        if target_id in linked:  # two source records, one contact: the first link stays
            continue
        linked.add(target_id)
        runner._written = None
        links.append(runner._new_link(None, source_id, target_id, record, decision))
        if len(links) >= LINKS_PER_SAVE:
            links_save(flow=flow, links=links)
            links.clear()
            runner.links.clear()
    links_save(flow=flow, links=links)
    if last is not None:
        SyncCursor.objects.update_or_create(
            flow=flow, name="changes", defaults={"value": last.to_json()}
        )
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.SUCCEEDED if not counts["failed"] else Run.Status.PARTIAL,
        in_flight=False,
        finished_at=timezone.now(),
        processed=counts["processed"],
        created=counts["created"],
        updated=counts["updated"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        message="Seeded by bench/seeding.py (the writes made in process).",
    )
    return {**counts, "links": len(linked), "seconds": round(time.perf_counter() - started, 1)}
