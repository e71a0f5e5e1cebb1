#!/usr/bin/env bash
# Fetches the Swagger UI files that GET /docs serves from the npm package
# swagger-ui-dist, at the pinned version below, into httpapi/docs/swagger-ui/.
# The server embeds them, so the reference page loads nothing from other
# hosts. Run it from anywhere after changing VERSION, then commit the files.
set -euo pipefail

VERSION=5.35.0
DEST="$(cd "$(dirname "$0")/.." && pwd)/httpapi/docs/swagger-ui"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null
tar -xzf "swagger-ui-dist-$VERSION.tgz"

# The bundle and its style, plus the license files that must travel with them.
mkdir -p "$DEST"
for file in swagger-ui-bundle.js swagger-ui.css swagger-ui-bundle.js.LICENSE.txt LICENSE NOTICE; do
	cp "package/$file" "$DEST/$file"
done
# Drop the comments that point to source maps, because the maps are not vendored.
sed -i '/^\/\/# sourceMappingURL=/d' "$DEST/swagger-ui-bundle.js"
sed -i 's|/\*# sourceMappingURL=[^*]*\*/||' "$DEST/swagger-ui.css"
echo "$VERSION" >"$DEST/VERSION"
echo "swagger-ui-dist $VERSION copied to $DEST"
