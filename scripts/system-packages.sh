#!/usr/bin/env bash
# Installs the Debian packages CareLoop needs, when run as root; otherwise names them.
#   chromium        browser tests (Playwright drives Debian's Chromium; Playwright's own download is not used)
#   fonts-noto-cjk  Chinese glyphs in the browser and in printed reports
#   gettext         makemessages / compilemessages for translators
#   ffmpeg          a playable copy of AMR call recordings (browsers do not play AMR)
set -eu
needed="${*:-chromium fonts-noto-cjk gettext ffmpeg}"
missing=""
for package in $needed; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "Please install these Debian packages (as root):  apt-get install$missing" >&2
  exit 1
fi
