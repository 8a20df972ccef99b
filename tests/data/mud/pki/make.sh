#!/bin/sh
# Regenerates the test PKI (see README.md). Test keys only: never trust these anywhere else.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
days=36500
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# Two independent roots: "Warden Test MUD CA" (trusted by the tests) and "Warden Other CA".
for ca in ca other-ca; do
  key "$tmp/$ca.key"
  openssl req -x509 -new -key "$tmp/$ca.key" -days $days -out $ca.pem \
    -subj "/O=Warden Test/CN=Warden $( [ $ca = ca ] && echo Test MUD CA || echo Other CA)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
done

# A MUD signer under each root, and an HTTPS server certificate for 127.0.0.1 under ca.
leaf() {  # name issuer subject extensions...
  name=$1 issuer=$2 subj=$3; shift 3
  key $name.key
  openssl req -new -key $name.key -subj "$subj" -out "$tmp/$name.csr"
  printf '%s\n' "$@" > "$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA $issuer.pem -CAkey "$tmp/$issuer.key" \
    -CAcreateserial -CAserial "$tmp/$issuer.srl" -days $days -extfile "$tmp/$name.ext" -out $name.pem
}
leaf signer ca "/O=Example Devices/CN=Example Devices MUD signer" \
  "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature"
leaf other-signer other-ca "/O=Someone Else/CN=Untrusted MUD signer" \
  "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature"
leaf server ca "/CN=127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1"
