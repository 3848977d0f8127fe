"""Request parsers that refuse what the database or the code behind them cannot take, as a 400 naming the field.

Every body the API accepts (JSON, form, multipart) goes through these (DEFAULT_PARSER_CLASSES):
- JSON nested deeper than SYNTHGOV_MAX_JSON_DEPTH levels (a 1,000-deep body would otherwise end in a
  RecursionError somewhere behind the parser);
- a NUL character (\\u0000) in any key or value, which PostgreSQL cannot store in text or jsonb;
- a JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, the limit Django applies to form bodies.
`check_json_value` is the one check, also used by the serializers' JSON fields for JSON sent inside a form.
"""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from synthgov.errors import InvalidInput

NUL_CHARACTER = "{where} contains a NUL character (\\u0000), which cannot be stored; remove it."
TOO_DEEP = "{where} is nested more than {limit} levels deep; flatten it."
BODY_TOO_LARGE = "The request body is larger than {limit:,} bytes; send less in one request (e.g. fewer ids)."


def _where(path: tuple) -> str:
    if not path:
        return "The request body"
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"The field '{text}'"


def _refuse(message: str, path: tuple):
    field = path[0] if path and isinstance(path[0], str) else None
    return InvalidInput(message, field=field)


def check_json_value(value, *, field: str | None = None) -> None:
    """Refuse NUL characters and nesting deeper than SYNTHGOV_MAX_JSON_DEPTH in parsed JSON (iteratively)."""
    limit = settings.SYNTHGOV_MAX_JSON_DEPTH
    stack = [(value, (field,) if field else (), 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise _refuse(NUL_CHARACTER.format(where=_where(path)), path)
        elif isinstance(item, dict | list):
            if depth > limit:
                raise _refuse(TOO_DEEP.format(where=_where(path), limit=limit), path)
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and "\x00" in key:
                    raise _refuse(NUL_CHARACTER.format(where=_where((*path, key))), (*path, key))
                stack.append((child, (*path, key), depth + 1))


def _check_form(data) -> None:
    for key, values in data.lists():
        for value in [key, *values]:
            if isinstance(value, str) and "\x00" in value:
                raise _refuse(NUL_CHARACTER.format(where=_where((key,))), (key,))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise ParseError(BODY_TOO_LARGE.format(limit=limit))
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = json.loads(body.decode(encoding), parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as exc:
            raise InvalidInput(
                TOO_DEEP.format(where="The request body", limit=settings.SYNTHGOV_MAX_JSON_DEPTH)
            ) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_json_value(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form(result.data)
        return result
