#!/usr/bin/env bash
# Source rules (curl's checksrc in spirit): banned functions, log tags
# present and unique, no httpd header in core/.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
src=$(ls mod_concierge/*.c mod_concierge/core/*.c)
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets|localtime|gmtime|setenv|putenv|setlocale|system|popen|rand)\s*\(' $src \
     | grep -vE 'apr_|snprintf'; then
    echo "checksrc: banned function above"; rc=1
fi
# Every ap_log_*error call carries a CCLOGNO tag; tags are unique.
calls=$(grep -c 'ap_log_[a-z]*error(APLOG_MARK' $src | awk -F: '{s+=$2} END {print s}')
tags=$(grep -ohE 'CCLOGNO\([0-9]{5}\)' $src | sort)
ntags=$(wc -l <<<"$tags")
dups=$(uniq -d <<<"$tags")
if [ -n "$dups" ]; then echo "checksrc: duplicate log tags: $dups"; rc=1; fi
if [ "$calls" -ne "$ntags" ]; then echo "checksrc: $calls log calls but $ntags CCLOGNO tags"; rc=1; fi
exit $rc
