#!/bin/sh
echo "hello from $(uname -m)"
cat /build-info
