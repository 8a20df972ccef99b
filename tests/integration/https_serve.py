# A static HTTPS server on 127.0.0.1 for the MUD tests: serves WWW with CERT/KEY on a port the
# kernel picks, and writes that port to PORTFILE (atomically) once it listens.
# Usage: python3 https_serve.py WWW CERT KEY PORTFILE
import functools
import http.server
import os
import ssl
import sys

www, cert, key, portfile = sys.argv[1:5]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=www))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
os.rename(portfile + ".tmp", portfile)
httpd.serve_forever()
