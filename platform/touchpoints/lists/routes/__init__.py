"""The list's pages, one blueprint (``lists``) over page modules split by what changes together."""

from touchpoints.lists.routes import entries, listing, versions  # noqa: F401  (registers the views)
from touchpoints.lists.routes.common import bp

__all__ = ["bp"]
