#!/usr/bin/env bash
# QR codes read back by an independent decoder, without PostgreSQL: shortlink-qr's
# example writes SVG and PNG images of several short URLs (the longest there is among
# them) at every error-correction level and several sizes and margins, with a manifest of
# what each encodes; zbar's zbarimg decodes each PNG, and each SVG once rsvg-convert
# (librsvg) has rasterised it, and the text must be the URL, exactly.
#   tests/qr/run.sh
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
for tool in zbarimg rsvg-convert; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install zbar-tools librsvg2-bin)" >&2; exit 1; }
done
OUT=${CARGO_TARGET_DIR:-$ROOT/target}/qr-samples
rm -rf "$OUT"
cargo run -q -p shortlink-qr --example qr_samples -- "$OUT"

passed=0 failed=0
# decode FILE: the text zbar reads in the image, as it is (no trailing newline).
decode() {
    local file=$1
    case $file in
        *.svg) rsvg-convert -o "$file.png" "$file"; file=$file.png ;;
    esac
    # --raw: the data alone; -q: no summary; one code per image, so one line.
    zbarimg -q --raw -Sdisable -Sqrcode.enable "$file" 2>/dev/null | tr -d '\n'
}
while IFS=$'\t' read -r name want; do
    got=$(decode "$OUT/$name" || true)
    if [ "$got" = "$want" ]; then
        passed=$((passed + 1))
    else
        echo "FAIL $name: want [$want], got [$got]"
        failed=$((failed + 1))
    fi
done <"$OUT/manifest.tsv"
# The SVG's size is what was asked: rsvg-convert renders it at its width and height.
size=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' \
    "$OUT/url1-M-333-m2.svg.png")
if [ "$size" = "333 333" ]; then passed=$((passed + 1)); else
    echo "FAIL url1-M-333-m2.svg rasterised at [$size], not 333 x 333"; failed=$((failed + 1)); fi
echo "QR codes decoded by zbar: $passed passed, $failed failed"
[ "$failed" = 0 ]
