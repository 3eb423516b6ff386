# Local stand-in base for the images the compose smoke test cannot pull:
# the Debian bookworm minbase root file system made by debootstrap (imported
# as quantun-local/debian-minbase:bookworm by scripts/compose-smoke.sh), plus
# what every stand-in needs. Built with --network host: apt reaches the
# Debian mirror configured on this machine.
FROM quantun-local/debian-minbase:bookworm
# Maintainer scripts must not start daemons inside a build (Debian's
# standard policy-rc.d hook); no recommends, no docs.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d \
    && printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > /etc/apt/apt.conf.d/90quantun \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates tzdata netbase >/dev/null \
    && rm -rf /var/lib/apt/lists/*
