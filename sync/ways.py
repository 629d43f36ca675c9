"""The ways a flow goes: forward (its source system → its target system) and, for two-way
flows, backward (target → source) through the reverse mapping. A `Way` is everything a run
needs to go one of them: which adapter it reads and which it writes, the compiled mapping,
the cursor it keeps, and how it reads and writes the one link table both ways share.

The link's fields are in the flow's terms (source_id is always the flow's source system);
a Way translates: `read_id(link)` is the id in the system this way reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.providers.base import RecordAdapter
from integrations.providers.registry import adapter_for, get_provider
from mappings import engine
from mappings.checks import engine_options, full_spec
from sync.engine.decide import Mapped, record_hash
from sync.models import Flow, RecordLink, Run

FORWARD, BACKWARD = Run.Direction.FORWARD, Run.Direction.BACKWARD


def image_digest(mapped: Mapped | None) -> str:
    """One digest for a Mapped (its digest and its tags, in any order)."""
    if mapped is None:
        return ""
    return record_hash({"d": mapped.digest, "t": sorted(t.strip().casefold() for t in mapped.tags)})


@dataclass
class Way:
    flow: Flow
    direction: str
    source: RecordAdapter  # the adapter this way reads
    target: RecordAdapter  # the adapter it writes
    source_provider: str
    target_provider: str
    target_caps: Any
    mapping: Any  # compiled
    spec: dict
    mapping_version: int
    reads: set
    writes: set
    reverse: Any = None  # the other way's compiled mapping (two-way flows), to image writes
    # The fields the other way writes, in the terms of the system this way reads.
    reverse_writes: frozenset = frozenset()

    @property
    def two_way(self) -> bool:
        return self.flow.direction == Flow.Direction.TWO_WAY

    @property
    def forward(self) -> bool:
        return self.direction == FORWARD

    @property
    def reading(self) -> str:
        """Which of the flow's systems this way reads: "source" or "target"."""
        return "source" if self.forward else "target"

    @property
    def writing(self) -> str:
        return "target" if self.forward else "source"

    @property
    def cursor_name(self) -> str:
        return "changes" if self.forward else "changes_back"

    # -- the link, in this way's terms -------------------------------------------------------
    @property
    def read_key(self) -> str:
        return "source_id" if self.forward else "target_id"

    def read_id(self, link: RecordLink) -> str:
        return link.source_id if self.forward else link.target_id

    def written_id(self, link: RecordLink) -> str:
        return link.target_id if self.forward else link.source_id

    def new_link(self, read_id: str) -> RecordLink:
        if self.forward:
            return RecordLink(flow=self.flow, source_id=read_id)
        return RecordLink(flow=self.flow, target_id=read_id)

    def set_written_id(self, link: RecordLink, written_id: str) -> None:
        if self.forward:
            link.target_id = written_id
        else:
            link.source_id = written_id

    def raw_hash(self, link: RecordLink) -> str:
        return link.source_hash if self.forward else link.target_record_hash

    def set_raw_hash(self, link: RecordLink, digest: str) -> None:
        if self.forward:
            link.source_hash = digest
        else:
            link.target_record_hash = digest

    def read_image(self, link: RecordLink) -> str:
        """What this way's mapping made of the record read, as last synced."""
        if self.forward:
            if not link.mapped_hash:
                return ""
            return image_digest(Mapped(link.mapped_hash, list(link.mapped_tags)))
        return link.target_image_hash

    def set_image(self, link: RecordLink, side: str, mapped: Mapped | None) -> None:
        """Keep `mapped` as the image of the flow's `side` ("source" or "target")."""
        if mapped is None:
            return
        if side == "source":
            link.mapped_hash, link.mapped_tags = mapped.digest, mapped.tags
        else:
            link.target_image_hash = image_digest(mapped)


def _compiled(mapping):
    spec = full_spec(mapping)
    return spec, engine.compile_mapping(spec, options=engine_options(mapping))


def way_for(
    flow: Flow,
    direction: str = FORWARD,
    *,
    source: RecordAdapter | None = None,
    target: RecordAdapter | None = None,
) -> Way:
    """The way `direction` of `flow`. `source`/`target` (the flow's own systems, whichever
    way) may be given, e.g. adapters with test clients."""
    flow_source = source or adapter_for(flow.source_connection, flow.object_type)
    flow_target = target or adapter_for(flow.target_connection, flow.object_type)
    two_way = flow.direction == Flow.Direction.TWO_WAY and flow.reverse_mapping_id
    if direction == FORWARD:
        mapping, other = flow.mapping, flow.reverse_mapping if two_way else None
        reads, writes = flow_source, flow_target
        read_connection, write_connection = flow.source_connection, flow.target_connection
    else:
        if not two_way:
            raise ValueError(f"Flow {flow.pk} is one way: it has no way back.")
        mapping, other = flow.reverse_mapping, flow.mapping
        reads, writes = flow_target, flow_source
        read_connection, write_connection = flow.target_connection, flow.source_connection
    spec, compiled = _compiled(mapping)
    used = engine.used_fields(spec)
    return Way(
        flow=flow,
        direction=direction,
        source=reads,
        target=writes,
        source_provider=read_connection.provider,
        target_provider=write_connection.provider,
        target_caps=get_provider(write_connection.provider).capabilities,
        mapping=compiled,
        spec=spec,
        mapping_version=mapping.version,
        reads=used["source"],
        writes=used["target"],
        reverse=_compiled(other)[1] if other is not None else None,
        reverse_writes=(
            frozenset(engine.used_fields(full_spec(other))["target"])
            if other is not None
            else frozenset()
        ),
    )
