"""Static files, gzip-compressed for the browsers that accept it: KaTeX's script alone is 273 kB and
72 kB compressed. Each file is compressed once per process (and again only when it changes on
disk), so a request costs a dictionary look-up; the pages themselves are not compressed here (a
reverse proxy may, docs/deploy/nginx.conf), which keeps their CPU per request as it was."""

from __future__ import annotations

import gzip
import os
import threading

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Text formats worth compressing; fonts (woff2) and images already are.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class CompressedStaticFiles(StaticFiles):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._compressed: dict[str, tuple[float, int, bytes]] = {}
        self._lock = threading.Lock()

    def _gzip(self, path: str, stat: os.stat_result) -> bytes:
        found = self._compressed.get(path)
        if found is not None and found[:2] == (stat.st_mtime, stat.st_size):
            return found[2]
        with open(path, "rb") as file:
            body = gzip.compress(file.read(), compresslevel=9, mtime=0)
        with self._lock:
            self._compressed[path] = (stat.st_mtime, stat.st_size, body)
        return body

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code != 200 or not isinstance(response, FileResponse):
            return response
        media_type = response.media_type or ""
        accepts = Headers(scope=scope).get("accept-encoding", "")
        if "gzip" not in accepts or not media_type.startswith(COMPRESSIBLE):
            return response
        stat = response.stat_result or os.stat(response.path)
        body = self._gzip(str(response.path), stat)
        headers = {
            "content-encoding": "gzip",
            "vary": "Accept-Encoding",
            "last-modified": response.headers["last-modified"],
            "etag": response.headers["etag"][:-1] + '-gz"',
        }
        return Response(body, media_type=response.headers["content-type"], headers=headers)
