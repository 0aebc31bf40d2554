"""Finite-fault slip models from files: one entry point that picks the reader.

Formats (each reader's docstring gives its columns, units and conventions):

| format        | reader             | files                                              |
|---------------|--------------------|----------------------------------------------------|
| `fsp`         | `read_fsp`         | SRCMOD/USGS/GeoNet finite-source `.fsp` text       |
| `srcmod_mat`  | `read_srcmod_mat`  | SRCMOD MATLAB v5 structs `.mat`                    |
| `usgs_param`  | `read_usgs_param`  | USGS `basic_inversion.param`                       |
| `hamling`     | `read_hamling`     | Hamling et al. (2017) Kaikoura patch tables `.dat` |
| `flt`         | `read_flt`         | Unicycle/Relax `.flt` patch tables                 |

Every reader returns a `FaultModel` in a local east-north-up frame (metres, z up, z < 0
in the Earth) with Aki & Richards angles, and its `EventInfo` (name, tag, time,
hypocentre, Mw, M0, frame origin, rigidity, notes on every quirk repaired).  Malformed
files raise `ValueError` naming the file and the line.
"""

from __future__ import annotations

import io
import os
import re

from .._fault import FaultModel
from ._slip_common import SlipModelError
from ._slip_flt import read_flt as read_flt
from ._slip_fsp import read_fsp as read_fsp
from ._slip_hamling import read_hamling as read_hamling
from ._slip_mat import read_srcmod_mat as read_srcmod_mat
from ._slip_usgs import read_usgs_param as read_usgs_param

__all__ = [
    "SlipModelError",
    "detect_slip_format",
    "read_flt",
    "read_fsp",
    "read_hamling",
    "read_slip_model",
    "read_srcmod_mat",
    "read_usgs_param",
]

_READERS = {
    "fsp": read_fsp,
    "srcmod_mat": read_srcmod_mat,
    "usgs_param": read_usgs_param,
    "hamling": read_hamling,
    "flt": read_flt,
}
_EXTENSIONS = {".fsp": "fsp", ".mat": "srcmod_mat", ".param": "usgs_param", ".flt": "flt"}
_FSP_COLUMNS = re.compile(r"^[%\s]*LAT\s+LON\s+.*\bZ\b", re.IGNORECASE | re.MULTILINE)
_FLT_HEADER = re.compile(r"^\s*#\s*(?:n|nb|no)\s+slip", re.IGNORECASE | re.MULTILINE)


def detect_slip_format(path) -> str:
    """The slip-model format of a file, from its content (and its extension on a tie).

    **Returns:** one of `"fsp"`, `"srcmod_mat"`, `"usgs_param"`, `"hamling"`, `"flt"`.

    **Raises:** `ValueError` ("not a slip model format") for anything else.
    """
    data, source = _read_bytes(path)
    return _detect(data, source)


def read_slip_model(path, **options) -> FaultModel:
    """Read a finite-fault slip model, choosing the reader from the file's content.

    **Arguments:**

    - `path`: file path or binary/text stream.
    - `**options`: passed to the reader: `origin=(lon, lat)` (deg) of the local frame,
      `frame=LocalFrame(...)`, `surface="trim" | "shift" | "raise"`, and for `.flt` files
      `utm_zone=54` (Unicycle's shifted UTM frame).

    **Returns:** a `FaultModel` (local ENU metres, z up) with `model.info` its `EventInfo`.

    **Raises:** `ValueError` naming the file and line for a malformed file, or "not a
    slip model format" for files of other kinds.
    """
    data, source = _read_bytes(path)
    fmt = _detect(data, source)
    stream = io.BytesIO(data)
    stream.name = source  # type: ignore[attr-defined]
    return _READERS[fmt](stream, **options)


def _read_bytes(path) -> tuple[bytes, str]:
    if hasattr(path, "read"):
        data = path.read()
        source = str(getattr(path, "name", "<stream>"))
        if isinstance(data, str):
            data = data.encode("utf-8")
        return data, source
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            return f.read(), source
    except OSError as e:
        raise SlipModelError(source, None, f"cannot open the file ({e.strerror}).") from e


def _detect(data: bytes, source: str) -> str:
    ext = os.path.splitext(source)[1].lower()
    if data.startswith(b"MATLAB 5.0 MAT-file"):
        return "srcmod_mat"
    head = data[:200_000]
    if b"\x00" not in head[:4096]:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("latin-1")
        if "FINITE-SOURCE RUPTURE MODEL" in text.upper() or (
            "%" in text and _FSP_COLUMNS.search(text)
        ):
            return "fsp"
        if re.search(r"#\s*Fault_segment\s*=", text, re.IGNORECASE):
            return "usgs_param"
        if re.search(r"top of patch", text, re.IGNORECASE) and re.search(
            r"fault\s+index", text, re.IGNORECASE
        ):
            return "hamling"
        if _FLT_HEADER.search(text) and _first_data_columns(text) == 10:
            return "flt"
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    raise SlipModelError(
        source,
        None,
        "not a slip model format (expected SRCMOD .fsp or .mat, USGS .param, "
        "Hamling et al. patch table or Unicycle .flt).",
    )


def _first_data_columns(text: str) -> int:
    for line in text.splitlines():
        s = line.split("#", 1)[0].strip()
        if s:
            return len(s.split())
    return 0
