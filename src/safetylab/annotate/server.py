"""The annotation workbench: a small FastAPI app over one task's SQLite store.

Security model: every request needs the annotator's token (a cookie set from `/?token=...`,
or an `Authorization: Bearer` header); pages are rendered with autoescaping and served with a
strict Content-Security-Policy (no inline script), so dataset text with <script> tags is shown as
text; no request value is ever used as a file path (the one script is read at start-up); the
server binds to 127.0.0.1 unless told otherwise.
"""

# No `from __future__ import annotations`: FastAPI reads these handlers' hints at run time.
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from safetylab.annotate.store import TaskStore
from safetylab.report.builder import render_string

COOKIE = "safetylab_token"
SCRIPT = (Path(__file__).with_name("static") / "app.js").read_text(encoding="utf-8")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline';"
    " connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none';"
    " base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


MAX_BODY = 64 * 1024  # an answer is a few bytes; nothing legitimate comes near this
_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """The access log never shows a token (`/?token=...` is how annotators arrive)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        record.msg = _TOKEN_IN_URL.sub(r"\1[redacted]", str(record.msg))
        return True


class BodyLimit:
    """ASGI middleware: refuse request bodies over `limit` bytes before buffering them."""

    def __init__(self, app: Any, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(send)
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send: Any) -> None:
        body = b"request body too large"
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class Answer(BaseModel):
    item_id: str
    field: str
    value: Any = None


class Skip(BaseModel):
    item_id: str


def build_app(task_dir: Path) -> Any:  # the FastAPI app inside BodyLimit

    store = TaskStore(task_dir)
    meta = store.meta()
    show_auto = not meta.get("hide_auto", True)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def page(title: str, message: str, status: int = 200, link: str | None = None) -> HTMLResponse:
        html = render_string(
            "annotate_message.html.j2", title=title, message=message, link=link, link_text=link
        )
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def auth(request: Request, call_next):
        token = request.cookies.get(COOKIE)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        from_query = request.url.path == "/" and request.query_params.get("token")
        if from_query:
            token = from_query
        who = store.annotator_for(token) if token else None
        if who is None:
            resp: Response = page(
                "Token required",
                "Open the link with your annotator token (?token=...) that the task's owner gave"
                " you.",
                401,
            )
        else:
            request.state.annotator = who
            try:
                resp = await call_next(request)
            except _TooLarge:
                raise
            except Exception:  # an unexpected fault still gets a page with the headers below
                resp = page("Server error", "Something went wrong; the answer was not saved.", 500)
            if from_query and token:
                resp.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        for k, v in HEADERS.items():
            resp.headers[k] = v
        return resp

    @app.get("/")
    def index(request: Request):
        who = request.state.annotator
        pos = store.first_open(who)
        if pos >= store.n_assigned(who) and store.n_assigned(who):
            pos = 0
        return RedirectResponse(f"/item/{pos}", status_code=303)

    @app.get("/app.js")
    def script() -> Response:
        return Response(SCRIPT, media_type="text/javascript")

    @app.get("/item/{pos}")
    def item_page(pos: int, request: Request):
        who = request.state.annotator
        total = store.n_assigned(who)
        item = store.item_at(who, pos) if 0 <= pos < total else None
        if item is None:
            return page("No such item", f"Item {pos + 1} is not among your {total} items.", 404)
        html = render_string(
            "annotate_item.html.j2",
            schema=store.schema,
            item=item,
            pos=pos,
            total=total,
            answers=store.answers_for(who, item.id),
            progress=store.progress(who),
            annotator=who,
            show_auto=show_auto,
        )
        return HTMLResponse(html)

    @app.get("/done")
    def done(request: Request):
        p = store.progress(request.state.annotator)
        return page(
            "Thank you",
            f"{p['done']} of {p['total']} items done, {p['skipped']} skipped."
            " You can close this tab; everything is saved.",
            link="/item/0",
        )

    def check(who: str, item_id: str) -> None:
        if not store.is_assigned(who, item_id):
            raise HTTPException(404, f"item {item_id!r} is not assigned to you")

    @app.post("/api/answer")
    def answer(a: Answer, request: Request):
        who = request.state.annotator
        check(who, a.item_id)
        try:
            store.schema.field(a.field)
        except KeyError:
            raise HTTPException(422, f"unknown field {a.field!r}") from None
        try:
            saved = store.save_answer(who, a.item_id, a.field, a.value)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return JSONResponse({"saved": saved, "progress": store.progress(who)})

    @app.post("/api/skip")
    def skip(s: Skip, request: Request):
        who = request.state.annotator
        check(who, s.item_id)
        store.skip(who, s.item_id)
        return JSONResponse({"progress": store.progress(who)})

    @app.get("/api/progress")
    def progress(request: Request):
        return JSONResponse(store.progress(request.state.annotator))

    app.state.store = store
    return BodyLimit(app)


def serve(task_dir: Path, host: str = "127.0.0.1", port: int = 8765, quiet: bool = False) -> None:
    import uvicorn

    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    uvicorn.run(build_app(task_dir), host=host, port=port, log_level="warning" if quiet else "info")
