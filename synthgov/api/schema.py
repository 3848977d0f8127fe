"""OpenAPI post-processing: the errors every operation can answer are documented on every operation."""

ERROR_COMPONENT = "#/components/schemas/Error"
COMMON_ERRORS = {
    "400": "Invalid input (a body, a query parameter or a header); the field at fault is named.",
    "401": "Not signed in: send a token (Authorization: Token ...) or a session.",
    "403": "Missing permission; the message names it.",
    "404": "No such object, page or endpoint.",
}


def document_common_errors(result, generator, request, public):
    """drf-spectacular hook: add 400/401/403/404 in the one error shape where an operation does not list them."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ERRORS.items():
                responses.setdefault(
                    status,
                    {
                        "content": {"application/json": {"schema": {"$ref": ERROR_COMPONENT}}},
                        "description": description,
                    },
                )
    return result
