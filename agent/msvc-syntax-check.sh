#!/usr/bin/env bash
# Parse socklab-agent.c the way MSVC would, on a machine without MSVC: clang in MSVC mode
# (_MSC_VER defined, GNU extensions off) over MinGW's Windows headers. It catches GNU-only
# syntax, variable-length arrays and declarations after statements; it does not link, and
# it is not MSVC itself (`cl /W4 /O2 agent\socklab-agent.c` on Windows is the real check).
set -euo pipefail
cd "$(dirname "$0")"
CLANG="${CLANG:-$(command -v clang || command -v clang-14 || true)}"
if [ -z "$CLANG" ]; then
  echo "msvc-syntax-check: no clang (apt-get install clang)" >&2
  exit 2
fi
MINGW_INC="${MINGW_INC:-/usr/x86_64-w64-mingw32/include}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# MinGW's headers put GCC attributes after declarators, which MSVC mode does not accept.
cat >"$tmp/pre.h" <<'H'
#include <_mingw.h>
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED
H
"$CLANG" --target=x86_64-pc-windows-msvc -fms-compatibility -fms-compatibility-version=19.30 \
  -fsyntax-only -nostdinc -isystem "$("$CLANG" -print-resource-dir)/include" -isystem "$MINGW_INC" \
  -include "$tmp/pre.h" \
  -D__X86INTRIN_H -D__IMMINTRIN_H -D__MMINTRIN_H -D__XMMINTRIN_H -D__EMMINTRIN_H -D__PMMINTRIN_H -D_INTRIN_H_ \
  -Wall -Wextra -Wvla -Wdeclaration-after-statement -Wgnu -Werror -Wno-unknown-pragmas \
  socklab-agent.c
echo "msvc-syntax-check: socklab-agent.c parses as MSVC C"
