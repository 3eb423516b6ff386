"""One HTTPS request through tlslite-ng (an independent, pure-Python TLS
1.3 implementation) offering exactly the groups and cipher named on the
command line; prints what was negotiated as JSON, or the error.

  python tlslite_client.py HOST PORT SNI GROUP[,GROUP...] CIPHER

GROUP uses tlslite-ng's names (secp384r1mlkem1024, x25519mlkem768,
x25519, ...); CIPHER its cipher names (aes256gcm, aes128gcm, ...).
"""

import json
import socket
import sys

from tlslite.api import HandshakeSettings, TLSConnection
from tlslite.constants import GroupName


def main() -> int:
    host, port, sni, groups, cipher = sys.argv[1:6]
    groups = groups.split(",")
    settings = HandshakeSettings()
    settings.minVersion = (3, 4)
    settings.maxVersion = (3, 4)
    settings.eccCurves = list(groups)
    settings.dhGroups = []
    settings.keyShares = list(groups)
    settings.cipherNames = [cipher]
    sock = socket.create_connection((host, int(port)), timeout=20)
    conn = TLSConnection(sock)
    try:
        conn.handshakeClientCert(settings=settings, serverName=sni, alpn=[bytearray(b"http/1.1")])
    except Exception as e:  # noqa: BLE001 - the error is the result
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        return 0
    negotiated = {
        "group": GroupName.toStr(conn.ecdhCurve),
        "cipher": conn.getCipherName(),
        "version": list(conn.version),
    }
    conn.write(f"GET /cnsa HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\nUser-Agent: tlslite-ng\r\n\r\n".encode())
    data = b""
    while True:
        chunk = conn.read()
        if not chunk:
            break
        data += bytes(chunk)
    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
    print(json.dumps({"ok": True, **negotiated, "status": status}))
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
