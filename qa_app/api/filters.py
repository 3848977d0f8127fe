# The one definition of the pair filters lives in qa_app.filters (shared with the admin and the queue).
from ..filters import QAPairFilter

__all__ = ["QAPairFilter"]
