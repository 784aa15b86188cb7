"""Reading the PDFs we generate the way a reader would: text per page (pypdf) and, for
looking at them, each page as a PNG (pdfium, the renderer Chromium uses)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pypdfium2


def pdf_pages(data: bytes) -> list[str]:
    """The extracted text of each page."""
    assert data.startswith(b"%PDF-"), data[:20]
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def pdf_to_png(data: bytes, out_dir: Path, stem: str, scale: float = 1.5) -> list[Path]:
    """Render every page to `out_dir/stem-N.png` (for screenshots and eyeballing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    document = pypdfium2.PdfDocument(data)
    for n, page in enumerate(document, start=1):
        path = out_dir / f"{stem}-{n}.png"
        page.render(scale=scale).to_pil().save(path)
        paths.append(path)
    return paths
