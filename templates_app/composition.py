"""Which version each `{% include %}` / `{% extends %}` key of a version means, read from the database.

A draft references the current approved version of each key, so an author sees what publishing
would pin. A published version references exactly the versions pinned at its publish, forever.
One version per key serves the whole composition, references inside referenced templates too:
`pinned_includes` lists every key reached, not only the ones the version names itself.
"""

from .models import TemplateVersion
from .rendering import CompiledVersion
from .rendering.composition import Composition, CompositionError, resolve_composition
from .selectors import TemplateVersionMissing, template_version_by_key

UNKNOWN_TEMPLATE = "no template has the key '{key}'"
NOT_APPROVED = "the template '{key}' has no current approved version to include; publish one first"
NOT_PINNED = "'{key}' was not pinned when this version was published"
PIN_MISSING = "the version of '{key}' pinned at publish (id {version_id}) no longer exists"
PIN_CHANGED = "the version of '{key}' pinned at publish (version {version}) no longer has the pinned content"


def resolve_references(version: TemplateVersion, environment) -> Composition:
    """The versions a version's references use; raises FieldCompositionErrors by root field."""
    # A draft carries pins only in memory, for a preview job that pinned them when it was triggered.
    pinned = version.includes_are_pinned or bool(version.pinned_includes)
    lookup = _pinned_lookup(version.pinned_includes) if pinned else _current_approved
    # A version being added in a form may not have its template yet; it then cannot name itself.
    template = getattr(version, "template", None)
    return resolve_composition(environment, template.key if template else "", version, lookup)


def draft_pins(version: TemplateVersion) -> dict:
    """What a draft's references resolve to now (the current approved versions), as pins."""
    return pins_for(CompiledVersion.compile(version).composition)


def pins_for(composition: Composition) -> dict:
    """What `TemplateVersion.pinned_includes` stores for a resolved composition."""
    return {
        key: {"version_id": referenced.pk, "version": referenced.version, "content_sha256": referenced.content_sha256}
        for key, referenced in sorted(composition.versions.items())
    }


def _current_approved(key: str) -> TemplateVersion:
    try:
        return template_version_by_key(key=key, queryset=TemplateVersion.objects.select_related("template"))
    except TemplateVersionMissing as missing:
        message = NOT_APPROVED if missing.template_exists else UNKNOWN_TEMPLATE
        raise CompositionError(message.format(key=key)) from None


def _pinned_lookup(pins: dict):
    # Composition is resolved only when some field references another template; one query serves all keys.
    stored = {}

    def lookup(key: str) -> TemplateVersion:
        if key not in pins:
            raise CompositionError(NOT_PINNED.format(key=key))
        if not stored:
            ids = [pin["version_id"] for pin in pins.values()]
            stored.update(TemplateVersion.objects.select_related("template").in_bulk(ids))
        pin = pins[key]
        pinned = stored.get(pin["version_id"])
        if pinned is None:
            raise CompositionError(PIN_MISSING.format(key=key, version_id=pin["version_id"]))
        if pinned.content_sha256 != pin["content_sha256"]:
            raise CompositionError(PIN_CHANGED.format(key=key, version=pin["version"]))
        return pinned

    return lookup
