#!/usr/bin/env bash
# Source rules (curl's checksrc in spirit): banned functions, log tags
# present and unique, no httpd header in core/.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
src=$(ls mod_concierge/*.c mod_concierge/api/*.c mod_concierge/core/*.c)
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|gets|localtime|gmtime|setenv|putenv|setlocale|system|popen|rand)\s*\(' $src \
     | grep -vE 'apr_|snprintf'; then
    echo "checksrc: banned function above"; rc=1
fi
# Every log call carries a CCLOGNO tag (on its line or the next two;
# a logging macro's own body passes its caller's through __VA_ARGS__);
# tags are unique.
missing=$(awk '/(ap_log_[a-z]*error\(APLOG_MARK|DBX_LOG\(x)/ && !/#define/ {
                   want = FILENAME ":" FNR; left = 3 }
               left > 0 { if ($0 ~ /CCLOGNO\(|__VA_ARGS__/) left = 0; else if (--left == 0) print want }' $src)
if [ -n "$missing" ]; then echo "checksrc: log call without a CCLOGNO tag at:"; echo "$missing"; rc=1; fi
dups=$(grep -ohE 'CCLOGNO\([0-9]{5}\)' $src | sort | uniq -d)
if [ -n "$dups" ]; then echo "checksrc: duplicate log tags: $dups"; rc=1; fi
# Secrets are compared in constant time (CRYPTO_memcmp): no memcmp,
# strcmp, strncmp, strcasecmp or bcmp in core/ whose arguments name a
# hash (sha256...), signature, MAC, digest, token, nonce, password or
# secret.  Calls may span lines; CRYPTO_memcmp is not matched.
timing=$(perl -0777 -ne '
    while (/\b(memcmp|strcmp|strncmp|strcasecmp|bcmp)\s*(\((?:[^()]++|(?2))*\))/g) {
        my ($fn, $args, $at) = ($1, $2, $-[0]);
        next unless $args =~ /(hash|sha\d|sig|mac|digest|token|secret|nonce|passw)/i;
        my $line = 1 + (substr($_, 0, $at) =~ tr/\n//);
        print "$ARGV:$line: $fn$args\n";
    }' mod_concierge/core/*.c)
if [ -n "$timing" ]; then
    echo "$timing"
    echo "checksrc: compare hashes, signatures, MACs and tokens with CRYPTO_memcmp (above)"; rc=1
fi
exit $rc
