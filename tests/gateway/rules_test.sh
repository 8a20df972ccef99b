#!/usr/bin/env bash
# Golden test of the gateway's rules: the configuration mud_rules.json lists one device per RFC
# 8520 MUD file of tests/data/mud (the files of ../shared/data/mud); `warden gateway rules`
# must print exactly mud_rules.nft and the warnings in mud_rules.warnings (what each file
# cannot express on a router, and why). As root, the expected ruleset is also loaded into the
# kernel of a private network namespace, so the golden file is known to be valid nftables.
# The two pre-RFC draft files must be refused, naming the reason.
# Usage: rules_test.sh WARDEN [--update]
set -uo pipefail
warden=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$warden" gateway rules --config "$here/mud_rules.json" >"$tmp/rules.nft" 2>"$tmp/warnings"
rc=$?
if [[ $rc -ne 0 ]]; then echo "FAIL: warden gateway rules exited $rc"; cat "$tmp/warnings"; exit 1; fi
sed -i 's/^warden gateway: //' "$tmp/warnings"
if [[ "${2:-}" == "--update" ]]; then
  cp "$tmp/rules.nft" "$here/mud_rules.nft"; cp "$tmp/warnings" "$here/mud_rules.warnings"
  echo "updated"; exit 0
fi
diff -u "$here/mud_rules.nft" "$tmp/rules.nft" >"$tmp/diff" || { echo "FAIL: rules differ from mud_rules.nft"; head -60 "$tmp/diff"; fail=1; }
diff -u "$here/mud_rules.warnings" "$tmp/warnings" >"$tmp/wdiff" || { echo "FAIL: warnings differ"; cat "$tmp/wdiff"; fail=1; }

# Every device got its chains, and the abstractions became sets.
for want in "chain m027700000101_o" "chain m027700000110_i" "set lan4" "map from_mac" \
            "@lan4 meta l4proto 17" "comment \"default deny\""; do
  grep -qF "$want" "$tmp/rules.nft" || { echo "FAIL: the rules lack '$want'"; fail=1; }
done

# The draft-schema files are refused whole, with the reason.
for draft in osmud_MUDFILE.NEST.json osmud_lightbulb2000.json; do
  printf '{"devices":[{"name":"d","mac":"02:77:00:00:09:01","mud":"%s"}]}' "$here/../data/mud/$draft" >"$tmp/draft.json"
  if "$warden" gateway rules --config "$tmp/draft.json" >/dev/null 2>"$tmp/err"; then
    echo "FAIL: $draft was accepted"; fail=1
  elif ! grep -q "pre-RFC 8520 draft MUD schema" "$tmp/err"; then
    echo "FAIL: $draft refused without the reason:"; cat "$tmp/err"; fail=1
  fi
done

if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null && command -v nft >/dev/null; then
  if ! unshare -n nft -f "$here/mud_rules.nft" 2>"$tmp/nft.err"; then
    echo "FAIL: the kernel refused mud_rules.nft:"; head -20 "$tmp/nft.err"; fail=1
  fi
else
  echo "note: not root; the ruleset was not loaded into a kernel"
fi
[[ $fail -eq 0 ]] && echo "ok: $(grep -c 'comment' "$tmp/rules.nft") rules for $(grep -c '"mud"' "$here/mud_rules.json") MUD files"
exit $fail
