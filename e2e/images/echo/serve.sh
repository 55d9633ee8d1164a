#!/bin/sh
# Serve this pod's hostname on port 8080.
mkdir -p /www && hostname > /www/index.html
exec busybox httpd -f -p 8080 -h /www
