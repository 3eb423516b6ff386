#!/usr/bin/env bash
# Fetches current agent-pattern lists for the AI engine's agent-string
# channel from the npm registry (with npm itself), without a rebuild:
#
#   scripts/ai-agent-lists.sh DIR [ISBOT_VERSION] [CRAWLER_USER_AGENTS_VERSION]
#
# writes DIR/isbot-patterns.json (npm `isbot`'s `list` export, Unlicense)
# and DIR/crawler-user-agents.json (npm `crawler-user-agents`, MIT), then
# prints the setting that makes a running deployment use them on its next
# start:
#
#   QSGW_AI_AGENT_LISTS=DIR/isbot-patterns.json,DIR/crawler-user-agents.json
#
# The same commands produced the built-in copies in ai-engine/data/ (see
# ai-engine/data/SOURCES.md for the versions). Needs node and npm.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="${1:-}"
[[ -n "$out" ]] || die "usage: $0 DIR [ISBOT_VERSION] [CRAWLER_USER_AGENTS_VERSION]"
isbot_version="${2:-latest}"
cua_version="${3:-latest}"
command -v npm >/dev/null || die "npm is needed (Node.js 20+)"
mkdir -p "$out"
out="$(cd "$out" && pwd -P)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "isbot@$isbot_version" "crawler-user-agents@$cua_version" >/dev/null
mkdir isbot cua
tar xzf isbot-*.tgz -C isbot
tar xzf crawler-user-agents-*.tgz -C cua
node -e 'const l = require(process.argv[1]).list;
if (!Array.isArray(l) || l.length === 0) { console.error("isbot exports no list"); process.exit(1); }
process.stdout.write(JSON.stringify(l, null, 1) + "\n");' "$tmp/isbot/package/index.js" >"$out/isbot-patterns.json"
cp cua/package/crawler-user-agents.json "$out/crawler-user-agents.json"
info "isbot $(node -p 'require("./isbot/package/package.json").version'), crawler-user-agents $(node -p 'require("./cua/package/package.json").version') written to $out"
echo "QSGW_AI_AGENT_LISTS=$out/isbot-patterns.json,$out/crawler-user-agents.json"
