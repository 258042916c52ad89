"""The alert export for analysts (as `press-monitor alerts export`): JSON lines or CSV of the
alerts the account may see."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, request

from alerts.export import export_rows, write_export
from web.auth import login_required
from web.context import allowed_localities, db

bp = Blueprint("export", __name__)
TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


@bp.get("/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    if fmt not in TYPES:
        abort(404)
    out = io.StringIO()
    rows = export_rows(
        db(), status=request.args.get("status") or None, allowed=allowed_localities()
    )
    write_export(rows, fmt, out)
    return Response(
        out.getvalue(),
        mimetype=TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="canh-bao.{fmt}"'},
    )
