#!/bin/sh
# The pictures of the reconcile workbook in docs/clerk.md, as a spreadsheet program shows it when printed:
# LibreOffice (headless) renders the workbook ReconcileAgainstIT wrote to PDF, one page per sheet, and
# pdftoppm turns each page into a PNG, trimmed to what is printed (ImageMagick). Debian: apt-get install
# libreoffice-calc-nogui poppler-utils imagemagick.
#   ./mvnw -B -pl cli verify -Dit.test=ReconcileAgainstIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
#   sh docs/reconcile/render.sh
set -eu
here=$(dirname "$0")
src=${1:-cli/target/reconcile-report/对账_202611.xlsx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
soffice --headless --norestore "-env:UserInstallation=file://$tmp/profile" --convert-to pdf --outdir "$tmp" "$src" >/dev/null
pdftoppm -png -r 240 "$tmp"/*.pdf "$tmp/report"
for page in "$tmp"/report-*.png; do
  convert "$page" -trim +repage -bordercolor white -border 24 -resize '1600x>' "$here/$(basename "$page")"
done
ls "$here"/report-*.png
