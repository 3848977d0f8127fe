from rest_framework.renderers import JSONRenderer


class DownloadRenderer(JSONRenderer):
    """Lets a client ask for a file with `Accept: application/octet-stream`.

    The file itself bypasses rendering (a FileResponse); only errors are rendered, as JSON and labelled so.
    """

    media_type = "application/octet-stream"
    format = "download"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return super().render(data, JSONRenderer.media_type, renderer_context)
