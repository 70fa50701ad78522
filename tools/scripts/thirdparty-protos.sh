#!/usr/bin/env bash
# Copies the third-party .proto sources zhbase imports out of the Go module
# cache into third_party/proto, so that buf works without the Buf Schema
# Registry. Versions are pinned here and fetched through the Go module proxy.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/third_party/proto"
modir() { GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
gw1=$(modir github.com/grpc-ecosystem/grpc-gateway@v1.16.0)
gw2=$(modir github.com/grpc-ecosystem/grpc-gateway/v2@v2.33.0)
pv=$(modir github.com/bufbuild/protovalidate@v1.2.2)
rm -rf "$out"
mkdir -p "$out/google/api" "$out/google/rpc" "$out/buf/validate" "$out/protoc-gen-openapiv2/options"
cp "$gw1"/third_party/googleapis/google/api/{annotations,http,httpbody}.proto "$out/google/api/"
cp "$gw1"/third_party/googleapis/google/rpc/{status,code,error_details}.proto "$out/google/rpc/"
cp "$pv"/proto/protovalidate/buf/validate/validate.proto "$out/buf/validate/"
cp "$gw2"/protoc-gen-openapiv2/options/{annotations,openapiv2}.proto "$out/protoc-gen-openapiv2/options/"
chmod -R u+w "$out"
