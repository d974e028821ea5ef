#!/bin/sh
# Builds the example offline from Debian's packages (golang-go,
# golang-github-golang-jwt-jwt-dev, golang-gopkg-square-go-jose.v2-dev): GOPATH mode,
# with golang-jwt's /v4 import path linked to where Debian installs it.
# Elsewhere: `go mod tidy && go build`.  Usage: build-debian.sh OUTPUT
set -eu
out=$(realpath -m "$1")
gopath=$(dirname "$out")/gopath
mkdir -p "$gopath/src/github.com/golang-jwt/jwt"
ln -sfn /usr/share/gocode/src/github.com/golang-jwt/jwt "$gopath/src/github.com/golang-jwt/jwt/v4"
cd "$(dirname "$0")"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$(dirname "$out")/go-build" \
  go build -o "$out" .
