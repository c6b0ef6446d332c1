"""The Mini App: the dashboard page at /app and its static files (plain HTML, CSS and JS)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent / "static" / "app"

# The page loads only its own files; Telegram's script is the one outside source, and optional.
# Telegram shows the app in its clients and in an iframe of web.telegram.org, so framing is allowed.
CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_PAGE_HEADERS = {
    # Always the current page, so that a deploy reaches every open client on its next launch.
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# Static files are revalidated too: no build step means no hashed names to cache forever.
_STATIC_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def miniapp_router() -> APIRouter:
    """GET /app and /app/static/*."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/app", page, methods=["GET", "HEAD"])
    router.add_api_route("/app/", page, methods=["GET", "HEAD"])
    router.add_api_route("/app/static/{name:path}", static_file, methods=["GET", "HEAD"])
    return router


async def page() -> FileResponse:
    """The dashboard's single page; it signs in and fetches everything from /api.

    It names its files by absolute paths (/app/static/...), so /app and /app/ both work.
    """
    return FileResponse(
        STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS
    )


async def static_file(name: str) -> FileResponse:
    """One file under static/app, by its relative name; 404 for anything else."""
    path = _resolve(name)
    if path is None:
        raise HTTPException(status_code=404, detail="not found")
    return FileResponse(path, media_type=_MEDIA_TYPES.get(path.suffix), headers=_STATIC_HEADERS)


def _resolve(name: str) -> Path | None:
    """The file `name` names inside STATIC_DIR, or None (missing, hidden, or outside it)."""
    if not name or any(part.startswith(".") for part in Path(name).parts):
        return None
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return path
