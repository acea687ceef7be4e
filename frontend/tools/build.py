#!/usr/bin/env python3
"""Builds the web client into frontend/dist: `scripts/frontend.sh build` runs this.

The same four steps trunk takes for a release build, without trunk itself (whose install
from source took 5 min 20 s of a first `make run`'s 12 minutes on 2 cores):

1. `cargo build --profile wasm-release --target wasm32-unknown-unknown -p frontend`
   (size-optimised, LTO: the profile is in the workspace's Cargo.toml), in a target folder
   of its own, `target/web-client`, so that it can run beside the services' builds;
2. `wasm-bindgen --target web`: the JavaScript glue and the wasm it drives;
3. `wasm-opt -Oz` (binaryen from npm, see scripts/frontend.sh);
4. content-hashed file names (`frontend-<hash>.js`, `…_bg.wasm`, `style-<hash>.css`, so a
   rebuilt app is never mixed with a cached one) and `index.html`, from frontend/index.html
   with its `data-trunk` lines replaced by the tags that load the app, each with its
   Subresource Integrity hash.

frontend/index.html and Trunk.toml stay as trunk reads them: a frontend developer who
installs trunk can still run `trunk serve` in frontend/ for a live-reloading dev server.

Only the Python standard library. Prints the wasm's size at the end.
"""

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
NAME = "frontend"


def run(*command, **options):
    print(f"frontend: {' '.join(str(c) for c in command)}", file=sys.stderr, flush=True)
    subprocess.run([str(c) for c in command], check=True, **options)


def target_directory() -> Path:
    """Where cargo puts what it builds (honours CARGO_TARGET_DIR and .cargo/config)."""
    metadata = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                              cwd=ROOT, check=True, capture_output=True, text=True)
    return Path(json.loads(metadata.stdout)["target_directory"])


def short_hash(*blobs: bytes) -> str:
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(blob)
    return digest.hexdigest()[:16]


def integrity(blob: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(blob).digest()).decode()


def index_html(js: str, wasm: str, css: str, blobs: dict) -> str:
    """frontend/index.html with the app's tags where trunk's `data-trunk` lines were."""
    tags = (
        f'<script type="module">\n'
        f"import init from '/{js}';\n"
        f"await init({{ module_or_path: '/{wasm}' }});\n"
        f"</script>\n"
        f'    <link rel="stylesheet" href="/{css}" integrity="{integrity(blobs[css])}"/>\n'
        f'    <link rel="modulepreload" href="/{js}" crossorigin="anonymous" '
        f'integrity="{integrity(blobs[js])}">\n'
        f'    <link rel="preload" href="/{wasm}" crossorigin="anonymous" '
        f'integrity="{integrity(blobs[wasm])}" as="fetch" type="application/wasm">\n')
    lines = (FRONTEND / "index.html").read_text().splitlines(keepends=True)
    kept = [line for line in lines if "data-trunk" not in line]
    html = "".join(kept)
    if "  </head>" not in html:
        raise SystemExit("frontend/index.html has no `  </head>` to put the app's tags before")
    return html.replace("  </head>", "    " + tags + "  </head>", 1)


def main() -> int:
    # A target folder of its own: cargo locks a target folder for the whole of a build, and
    # the web client shares nothing with the services' builds (another target, another
    # profile), so with its own folder it can build while they build or their tests run.
    target = target_directory() / "web-client"
    run("cargo", "build", "--profile", "wasm-release", "--target", "wasm32-unknown-unknown",
        "-p", NAME, "--bin", NAME, cwd=ROOT, env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    built = target / "wasm32-unknown-unknown" / "wasm-release" / f"{NAME}.wasm"
    with tempfile.TemporaryDirectory(prefix="frontend-build-") as scratch:
        scratch = Path(scratch)
        run("wasm-bindgen", "--target", "web", "--no-typescript", "--out-dir", scratch,
            "--out-name", NAME, built)
        optimised = scratch / f"{NAME}_opt.wasm"
        run("wasm-opt", "-Oz", f"--output={optimised}", scratch / f"{NAME}_bg.wasm")
        js_blob = (scratch / f"{NAME}.js").read_bytes()
        wasm_blob = optimised.read_bytes()
    css_blob = (FRONTEND / "style.css").read_bytes()
    app = short_hash(js_blob, wasm_blob)
    js, wasm = f"{NAME}-{app}.js", f"{NAME}-{app}_bg.wasm"
    css = f"style-{short_hash(css_blob)}.css"
    blobs = {js: js_blob, wasm: wasm_blob, css: css_blob}
    # Into a fresh folder first, then in place: a page being served never sees half a build.
    staging = FRONTEND / ".dist-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, blob in blobs.items():
        (staging / name).write_bytes(blob)
    (staging / "index.html").write_text(index_html(js, wasm, css, blobs))
    shutil.rmtree(DIST, ignore_errors=True)
    os.replace(staging, DIST)
    size, packed = len(wasm_blob), len(gzip.compress(wasm_blob, 9))
    print(f"frontend: wasm after wasm-opt: frontend/dist/{wasm}, {size} bytes ({size // 1024} KiB); "
          f"gzip -9: {packed // 1024} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
