# quickstart.sh — runs an SDK README's quick start exactly as printed (source it).
# The README marks its blocks with HTML comments: <!-- quickstart:install --> (shell,
# run in an empty directory; it makes and enters shale-quickstart), <!-- quickstart:code
# FILE --> (written to shale-quickstart/FILE), <!-- quickstart:run --> (shell, run there)
# and <!-- quickstart:output --> (what the run must print; XXX stands for digits).

# readme_block README MARKER: the fenced block that follows <!-- MARKER -->.
readme_block() {
  awk -v marker="<!-- $2 -->" '
    $0 == marker { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$1"
}

# output_matches EXPECTED_FILE ACTUAL_FILE: line by line, XXX matching digits.
output_matches() {
  python3 - "$1" "$2" <<'PY'
import re, sys
expected = open(sys.argv[1]).read().splitlines()
actual = open(sys.argv[2]).read().splitlines()
ok = len(expected) == len(actual) and all(
    re.fullmatch(re.escape(e).replace("XXX", "[0-9]+"), a) for e, a in zip(expected, actual))
sys.exit(0 if ok else 1)
PY
}

# run_quickstart NAME README DIR: runs the quick start in DIR (with SHALE_REPO and
# SHALE_URI set, and package caches inside DIR, so nothing comes from an earlier
# run); prints how long it took; checks the output.
run_quickstart() {
  local name=$1 readme=$2 dir=$3 started=$SECONDS marker file
  mkdir -p "$dir"
  readme_block "$readme" quickstart:install >"$dir/install.sh"
  readme_block "$readme" quickstart:run >"$dir/run.sh"
  readme_block "$readme" quickstart:output >"$dir/expected"
  if ! (cd "$dir" && env GOMODCACHE="$dir/cache/gomod" GOCACHE="$dir/cache/gobuild" GOFLAGS=-modcacherw \
      npm_config_cache="$dir/cache/npm" PIP_NO_CACHE_DIR=1 bash -e install.sh) >"$dir/install.log" 2>&1; then
    check "$name quick start: install" "ok" "failed: $(tail -n 5 "$dir/install.log" | tr '\n' ' ')"
    return
  fi
  grep -o '<!-- quickstart:code [^ ]* -->' "$readme" | while read -r _ marker file _; do
    readme_block "$readme" "quickstart:code $file" >"$dir/shale-quickstart/$file"
  done
  (cd "$dir/shale-quickstart" && env GOMODCACHE="$dir/cache/gomod" GOCACHE="$dir/cache/gobuild" GOFLAGS=-modcacherw \
    bash -e ../run.sh) >"$dir/output" 2>"$dir/run.log"
  echo "# $name quick start: $((SECONDS - started)) s from empty package caches (install included)"
  check "$name quick start prints what its README says" "yes" \
    "$(output_matches "$dir/expected" "$dir/output" && echo yes || echo "no: $(head -c 600 "$dir/output") $(tail -n 3 "$dir/run.log")")"
  check "$name quick start: under 5 minutes" "yes" "$([ $((SECONDS - started)) -lt 300 ] && echo yes || echo no)"
}
