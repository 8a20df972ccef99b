#!/bin/sh
# Regenerates the test PKI (see README.md). Test keys only: never trust these anywhere else.
# Certificates are valid from 2000 to 2100 (openssl ca, for a fixed start date), so the tests
# pass whatever the machine's clock says.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $tmp
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[any]
organizationName = optional
commonName = supplied
CNF
: >"$tmp/index.txt"
echo 01 >"$tmp/serial"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
# issue NAME ISSUER SUBJECT EXTENSION...   (ISSUER "self": a self-signed root)
issue() {
  name=$1 issuer=$2 subj=$3; shift 3
  case $name in *ca) k="$tmp/$name.key" ;; *) k=$name.key ;; esac
  key "$k"
  openssl req -new -key "$k" -subj "$subj" -out "$tmp/$name.csr"
  printf '%s\n' "$@" >"$tmp/$name.ext"
  if [ "$issuer" = self ]; then
    signer="-selfsign -keyfile $k"
  else
    signer="-cert $issuer.pem -keyfile $tmp/$issuer.key"
  fi
  # shellcheck disable=SC2086
  openssl ca -batch -notext -config "$tmp/ca.cnf" $signer -in "$tmp/$name.csr" \
    -startdate 20000101000000Z -enddate 21000101000000Z -extfile "$tmp/$name.ext" -out $name.pem
}
ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign"
signer_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature"
issue ca self "/O=Warden Test/CN=Warden Test MUD CA" "$ca_ext"
issue other-ca self "/O=Warden Test/CN=Warden Other CA" "$ca_ext"
issue signer ca "/O=Example Devices/CN=Example Devices MUD signer" "$signer_ext"
issue other-signer other-ca "/O=Someone Else/CN=Untrusted MUD signer" "$signer_ext"
issue server ca "/CN=127.0.0.1" "$signer_ext" "extendedKeyUsage=serverAuth" \
  "subjectAltName=IP:127.0.0.1"
