#!/usr/bin/env bash
# private-postgres.sh DIR — makes DIR a private, relocated copy of the system's PostgreSQL 15
# (server binaries, libraries, share files and server headers), so an extension build (a sanitizer
# build, a branch under test) can be installed into it without touching the system's copy.
# PostgreSQL finds its share and library directories relative to its binaries, so the copy works
# where it lies. Use it with:
#   make -C extension PG_CONFIG=DIR/lib/postgresql/15/bin/pg_config install
#   SHALE_PG_BINDIR=DIR/lib/postgresql/15/bin shale up ...   (and the tests, which read it too)
# Prints the bin directory. Running it again refreshes the copy from the system's files.
set -euo pipefail

dir=${1:?usage: private-postgres.sh DIR}
mkdir -p "$dir/lib/postgresql" "$dir/share/postgresql" "$dir/include"
rm -rf "$dir/lib/postgresql/15" "$dir/share/postgresql/15" "$dir/include/postgresql"
cp -a /usr/lib/postgresql/15 "$dir/lib/postgresql/15"
cp -a /usr/share/postgresql/15 "$dir/share/postgresql/15"
cp -a /usr/include/postgresql "$dir/include/postgresql"
bindir=$(cd "$dir/lib/postgresql/15/bin" && pwd)
if [ "$("$bindir/pg_config" --pkglibdir)" != "$(cd "$dir/lib/postgresql/15/lib" && pwd)" ]; then
    echo "private-postgres.sh: the copy in $dir does not relocate (pg_config still points elsewhere)" >&2
    exit 1
fi
echo "$bindir"
