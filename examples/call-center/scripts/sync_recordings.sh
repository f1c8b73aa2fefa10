#!/usr/bin/env bash
# Copies last night's call recordings from Twilio to the S3 archive.
set -euo pipefail

export AWS_ACCESS_KEY_ID=AKIANEL7HBCH5KN2YFUA
export AWS_SECRET_ACCESS_KEY=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
export AWS_DEFAULT_REGION=us-east-1

day="$(date -u -d yesterday +%F)"
python -m worker.export_recordings --day "$day" --out "/tmp/recordings/$day"
aws s3 sync "/tmp/recordings/$day" "s3://acme-call-recordings/$day/"
