# Stand-in for gcr.io/distroless/cc-debian12:nonroot, named
# quantun-local/distroless-cc: the same kind of content from Debian
# bookworm's packages (glibc, libgcc, libstdc++, libgomp, OpenSSL 3, CA
# certificates, tzdata, netbase's /etc/services), the users root, nobody
# and nonroot (65532), no shell, no package manager.
FROM quantun-local/debian-base:bookworm AS src
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl3 libstdc++6 libgomp1 >/dev/null \
    && mkdir -p /rootfs/etc/ssl/certs /rootfs/usr/lib/x86_64-linux-gnu /rootfs/usr/lib64 /rootfs/usr/share \
                /rootfs/home/nonroot /rootfs/tmp /rootfs/root \
    && ln -s usr/lib /rootfs/lib && ln -s usr/lib64 /rootfs/lib64 \
    && cp -a /usr/lib64/ld-linux-x86-64.so.2 /rootfs/usr/lib64/ \
    && cd /usr/lib/x86_64-linux-gnu \
    && cp -a ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 \
             libresolv.so.2 libnss_dns.so.2 libnss_files.so.2 libgcc_s.so.1 \
             libstdc++.so.6* libgomp.so.1* libssl.so.3 libcrypto.so.3 \
             /rootfs/usr/lib/x86_64-linux-gnu/ \
    && cp -a /usr/lib/x86_64-linux-gnu/ossl-modules /rootfs/usr/lib/x86_64-linux-gnu/ \
    && cp -a /usr/share/zoneinfo /rootfs/usr/share/ \
    && cp -a /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
    && cp -a /etc/services /etc/protocols /etc/os-release /etc/nsswitch.conf /rootfs/etc/ \
    && printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd \
    && printf 'root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n' > /rootfs/etc/group \
    && chown 65532:65532 /rootfs/home/nonroot && chmod 700 /root && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=src /rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot
