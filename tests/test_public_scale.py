"""Issue 15 item 3: the public page's cache tag from one query; stored PDFs streamed."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
import sqlalchemy as sa
from publicdata_helpers import build_published

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists.models import ListVersion
from touchpoints.orders import storage as orders
from touchpoints.orders.document import default_with_changes
from touchpoints.orders.models import OrderDocument
from touchpoints.public import fingerprint
from touchpoints.public import services as public


@pytest.fixture
def published(app, make_agency, make_user):
    return build_published(app, make_agency, make_user)


@pytest.fixture(autouse=True)
def _no_rendering(monkeypatch):
    """The PDF is stored by _store_pdf here: WeasyPrint need not run behind the tests."""
    monkeypatch.setattr(orders, "request_version_pdf", lambda version, *a, **k: None)


class Statements:
    """Statements of every engine (the application's and the fingerprint lookups' own)."""

    def __init__(self, app):
        self.seen: list[str] = []

    def _listen(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __enter__(self):
        sa.event.listen(sa.Engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(sa.Engine, "before_cursor_execute", self._listen)

    @property
    def data(self) -> list[str]:
        """Statements other than the per-transaction scope hand-over (set_config)."""
        return [s for s in self.seen if "set_config" not in s and s.strip().upper() != "BEGIN"]


def _store_pdf(app, slug: str, content: bytes) -> None:
    """A ready order PDF, as the orders feature stores it after rendering."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        version = db.session.scalars(
            sa.select(ListVersion)
            .join(Agency, Agency.id == ListVersion.agency_id)
            .where(Agency.slug == slug)
            .order_by(ListVersion.number.desc())
        ).first()
        db.session.add(
            OrderDocument(
                agency_id=version.agency_id,
                key=orders.version_key(version, default_with_changes(version)),
                version_id=version.id,
                status="ready",
                pdf=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                pages=1,
            )
        )
        db.session.commit()


def test_page_validator_is_one_query(app, client, published):
    url = f"/p/{published['slug']}/"
    etag = client.get(url).headers["ETag"]
    # The fixture's commits enqueued mail deliveries and dashboard refreshes that run on the
    # in-process pool, on this same engine: let them finish so only the request is counted.
    with app.app_context():
        wait_for_inprocess_jobs()
    with Statements(app) as st:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    # One statement and no transaction: not even the scope's hand-over (set_config).
    assert st.seen == st.data and len(st.data) == 1, st.seen
    assert "public_fingerprint_lookup" in st.data[0]
    # A client without the page: the body this process rendered, for the same one statement.
    with Statements(app) as st:
        cached = client.get(url)
    assert cached.status_code == 200 and cached.headers["ETag"] == etag
    assert len(st.seen) == 1 and "public_fingerprint_lookup" in st.seen[0], st.seen


def test_page_tag_follows_the_pdf_and_new_versions(app, client, published):
    url = f"/p/{published['slug']}/"
    first = client.get(url)
    assert "PDF приказа</a>" not in first.get_data(as_text=True)
    _store_pdf(app, published["slug"], b"%PDF-1.7 test")
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200, "a ready PDF changes the page"
    assert "PDF приказа</a>" in second.get_data(as_text=True)
    with app.app_context():
        assert fingerprint.page_tag("no-such-agency") is None
    assert client.get("/p/no-such-agency/").status_code == 404
    assert client.get(f"/p/{published['slug']}/v/99/").status_code == 404


def test_stored_pdf_is_streamed_in_slices(app, client, published):
    content = b"%PDF-1.7\n" + os.urandom(public.CHUNK * 2 + 12345)
    _store_pdf(app, published["slug"], content)
    with Statements(app) as st:
        response = client.get(f"/p/{published['slug']}/current.pdf")
        assert response.is_streamed
        body = response.get_data()
    assert response.status_code == 200
    assert body == content
    assert response.headers["Content-Length"] == str(len(content))
    slices = [s for s in st.data if re.search(r"substr\(order_document\.pdf", s)]
    assert len(slices) == 3, st.data
    # The whole column is never selected.
    assert not [
        s for s in st.data if re.search(r"order_document\.pdf\b(?!,)", s) and "substr" not in s
    ]
