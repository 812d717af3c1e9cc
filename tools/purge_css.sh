#!/usr/bin/env bash
# Keep only the Bootstrap Italia rules the site uses (PurgeCSS from npm, pinned).
# Input: the vendored full CSS; output: bootstrap-italia.used.min.css beside it, which the
# templates load. Re-run after using new Bootstrap Italia classes in templates, content,
# static/js or generator code (class names built in Python, e.g. maps and charts).
set -euo pipefail
cd "$(dirname "$0")/.."
PURGECSS_VERSION=6.0.0
DIR=static/vendor/bootstrap-italia/css
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tmp" "purgecss@${PURGECSS_VERSION}" >/dev/null
mkdir -p "$tmp/out"
"$tmp/node_modules/.bin/purgecss" --css "$DIR/bootstrap-italia.min.css" \
  --content 'templates/**/*.html' 'content/**/*.md' 'static/js/*.js' 'generator/**/*.py' \
  --output "$tmp/out/"
ls "$tmp/out" >/dev/null
# font-display: optional: no layout shift when the web font arrives late (first visit on a
# slow link shows the fallback font; later visits use the cached Titillium).
sed 's/font-display:swap/font-display:optional/g' "$tmp/out/bootstrap-italia.min.css" \
  > "$DIR/bootstrap-italia.used.min.css"
printf 'purged with purgecss %s: %s bytes (full: %s bytes)\n' "$PURGECSS_VERSION" \
  "$(wc -c < "$DIR/bootstrap-italia.used.min.css")" "$(wc -c < "$DIR/bootstrap-italia.min.css")"
