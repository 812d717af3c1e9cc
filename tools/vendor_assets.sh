#!/usr/bin/env bash
# Vendor the Designers Italia look (Bootstrap Italia) into static/vendor/bootstrap-italia/.
#
# The site serves every asset itself: no CDN, no external fonts, no third-party requests.
# Only what the site uses is copied:
#   css/bootstrap-italia.min.css   the minified CSS, patched (see below)
#   fonts/Titillium_Web/*.woff2    Titillium Web 300, 400, 400 italic, 600, 700 (+ OFL.txt)
#   svg/sprites.svg                the icon sprite (copied only while < 200 KB)
#   LICENSE                        Bootstrap Italia licence (BSD-3-Clause)
#   VERSION.txt                    version, tarball integrity, sha256 of every copied file
# No JavaScript is vendored: the site needs none of Bootstrap's JS.
#
# Bootstrap Italia 2.x ships no @font-face in its CSS (fonts are injected at run time by
# its JS fonts-loader). Since we do not ship that JS, this script appends woff2-only
# @font-face rules to the vendored CSS, with url()s relative to the CSS file
# (../fonts/Titillium_Web/...). It also strips the UTF-8 BOM and the sourceMappingURL
# comment (the .map is not vendored, so it would be a 404).
#
# Usage:
#   tools/vendor_assets.sh          fetch the pinned tarball with npm and (re)write the vendor dir
#   tools/vendor_assets.sh --check  offline: verify the committed files against VERSION.txt
#
# The files are committed; the site build does not need npm.
set -euo pipefail

BI_VERSION="2.18.3"
# sha512 integrity of bootstrap-italia-2.18.3.tgz as published on the npm registry.
BI_INTEGRITY="sha512-dz4kNtcAYJF4OsWABT9m3CAT3NH5y6OzGG+v/VUGH1LjumIUmlP3GaQ+aHgtv5Vw3B5dS0jbHZiHGSfdu+DffA=="
SPRITE_MAX_BYTES=204800
# Titillium Web faces we serve: "file-suffix weight style"
FACES=(
  "300 300 normal"
  "regular 400 normal"
  "italic 400 italic"
  "600 600 normal"
  "700 700 normal"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor/bootstrap-italia"

if [[ "${1:-}" == "--check" ]]; then
  cd "$DEST"
  grep -E '^[0-9a-f]{64}  ' VERSION.txt | sha256sum --check --strict
  # every url() in the vendored CSS must be a data: URI or a file we ship
  status=0
  while IFS= read -r u; do
    [[ "$u" == data:* ]] && continue
    f="css/${u%%[?#]*}"
    if [[ ! -f "$f" ]]; then echo "missing url() target: $u" >&2; status=1; fi
  done < <(grep -oE 'url\([^)]*\)' css/bootstrap-italia.min.css | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//')
  exit $status
fi

command -v npm >/dev/null || { echo "npm is required to refresh the vendored assets" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Fetch exactly the pinned package tarball (no dependencies, no install scripts run).
( cd "$TMP" && npm pack --silent "bootstrap-italia@${BI_VERSION}" >/dev/null )
TGZ="$TMP/bootstrap-italia-${BI_VERSION}.tgz"
[[ -f "$TGZ" ]] || { echo "npm pack did not produce $TGZ" >&2; exit 1; }
GOT_INTEGRITY="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$TGZ")"
if [[ "$GOT_INTEGRITY" != "$BI_INTEGRITY" ]]; then
  echo "integrity mismatch for $TGZ" >&2
  echo "  expected $BI_INTEGRITY" >&2
  echo "  got      $GOT_INTEGRITY" >&2
  exit 1
fi
tar -xzf "$TGZ" -C "$TMP"
PKG="$TMP/package"
DIST="$PKG/dist"

rm -rf "$DEST"
mkdir -p "$DEST/css" "$DEST/fonts/Titillium_Web"

# --- LICENSE
cp "$PKG/LICENSE" "$DEST/LICENSE"

# --- CSS: strip BOM + sourceMappingURL, append self-hosted @font-face (woff2 only)
UPSTREAM_CSS="$DIST/css/bootstrap-italia.min.css"
UPSTREAM_CSS_SHA="$(sha256sum "$UPSTREAM_CSS" | cut -d' ' -f1)"
CSS="$DEST/css/bootstrap-italia.min.css"
# The VideoJS icon font is a data: URL (blocked by our CSP font-src 'self'; we ship no video).
sed -e '1s/^\xEF\xBB\xBF//' -e '/sourceMappingURL=/d' "$UPSTREAM_CSS" \
  | sed -E 's/@font-face\{font-family:VideoJS;[^}]*\}//g' > "$CSS"
{
  printf '\n/* Comuni aperti: self-hosted Titillium Web (SIL OFL 1.1, see ../fonts/Titillium_Web/OFL.txt), woff2 only; added by tools/vendor_assets.sh */\n'
  for face in "${FACES[@]}"; do
    read -r suffix weight style <<<"$face"
    file="titillium-web-v10-latin-ext_latin-${suffix}.woff2"
    src="$DIST/fonts/Titillium_Web/$file"
    [[ -f "$src" ]] || { echo "font file not in package: $file" >&2; exit 1; }
    cp "$src" "$DEST/fonts/Titillium_Web/$file"
    printf '@font-face{font-family:"Titillium Web";font-style:%s;font-weight:%s;font-display:swap;src:url("../fonts/Titillium_Web/%s") format("woff2")}\n' \
      "$style" "$weight" "$file"
  done
} >> "$CSS"
cp "$DIST/fonts/Titillium_Web/OFL.txt" "$DEST/fonts/Titillium_Web/OFL.txt"

# --- SVG sprite, only if small enough
SPRITE="$DIST/svg/sprites.svg"
SPRITE_NOTE="skipped (not present)"
if [[ -f "$SPRITE" ]]; then
  size=$(stat -c %s "$SPRITE")
  if (( size < SPRITE_MAX_BYTES )); then
    mkdir -p "$DEST/svg"
    cp "$SPRITE" "$DEST/svg/sprites.svg"
    SPRITE_NOTE="copied ($size bytes)"
  else
    SPRITE_NOTE="skipped ($size bytes >= $SPRITE_MAX_BYTES)"
  fi
fi

# --- every non-data url() in the CSS must resolve to a copied file
while IFS= read -r u; do
  [[ "$u" == data:* ]] && continue
  f="$DEST/css/${u%%[?#]*}"
  [[ -f "$f" ]] || { echo "unresolved url() in vendored CSS: $u" >&2; exit 1; }
done < <(grep -oE 'url\([^)]*\)' "$CSS" | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//')

# --- VERSION.txt
{
  echo "bootstrap-italia ${BI_VERSION}"
  echo "source: npm package bootstrap-italia@${BI_VERSION} (tarball bootstrap-italia-${BI_VERSION}.tgz)"
  echo "tarball integrity: ${BI_INTEGRITY}"
  echo "licence: BSD-3-Clause (LICENSE); Titillium Web: SIL Open Font License 1.1 (fonts/Titillium_Web/OFL.txt)"
  echo "generated by: tools/vendor_assets.sh (do not edit the vendored files by hand)"
  echo "css: upstream dist/css/bootstrap-italia.min.css sha256 ${UPSTREAM_CSS_SHA}"
  echo "css: patched: UTF-8 BOM, sourceMappingURL and the VideoJS data: font removed; woff2 @font-face for Titillium Web appended"
  echo "svg sprite: ${SPRITE_NOTE}"
  echo "not vendored: JavaScript bundles, source maps, eot/ttf/woff/svg fonts, Lora, Roboto Mono"
  echo
  echo "sha256 of every vendored file (verify: tools/vendor_assets.sh --check):"
  ( cd "$DEST" && find . -type f ! -name VERSION.txt -printf '%P\n' | LC_ALL=C sort | xargs sha256sum )
} > "$DEST/VERSION.txt"

echo "vendored bootstrap-italia ${BI_VERSION} into ${DEST#"$ROOT"/}:"
( cd "$DEST" && find . -type f -printf '%P\t%s\n' | LC_ALL=C sort )
