"""The sample project of the manifest tests, on disk and in S3 alike: CSS that ``@import``s and
``url()``s other files (with fragments, data URIs, absolute and far URLs), a source map, names
with spaces, quotes and non-ASCII letters; and a reader of every finding per path."""

from __future__ import annotations

import hashlib

from inspector.core.manifest.report import ManifestReport
from inspector.core.status import ManifestStatus

BIG_CSS = "".join(f".rule-{i} {{ margin: {i % 7}px; color: #{i:03x}; }}\n" for i in range(200))
FILES: dict[str, bytes | str] = {
    "css/site.css": (
        '@import url("base.css");\n@import "print.css";\n'
        'body { background: url("../img/bg.png"); }\n'
        '.logo { background: url("../img/logo.svg#icon"); }\n'
        '.inline { background: url("data:image/png;base64,AAAA"); }\n'
        '.far { background: url("https://cdn.example/x.png"); }\n'
    ),
    "css/base.css": 'h1 { background: url("/static/img/logo.svg"); }\n',
    "css/print.css": "@media print { body { color: black } }\n",
    "css/big.css": BIG_CSS,
    "img/bg.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "img/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>\n',
    "js/app.js": "console.log('app');\n//# sourceMappingURL=app.js.map\n",
    "js/app.js.map": '{"version": 3, "sources": []}\n',
    "js/standalone.js": "function f(x) { return x * 2; }\n" * 40,
    "odd/with space.css": 'p { background: url("../img/bg.png"); }\n',
    "odd/ünïcødé.js": "console.log('ü');\n",
    'odd/it\'s "quoted".txt': "quotes\n",
}


def findings_by_path(report: ManifestReport) -> dict[str, set[str]]:
    """Return every non-ok word per path: statuses and manifest-wide findings alike."""
    found: dict[str, set[str]] = {}
    for path in report.paths():
        entry = report.entry(path)
        words = {str(f.kind) for f in entry.findings}
        if entry.status != ManifestStatus.OK:
            words.add(str(entry.status))
        if words:
            found[path] = words
    for finding in report.findings:
        found.setdefault(finding.path, set()).add(str(finding.kind))
    return found


def md5_12(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()[:12]
