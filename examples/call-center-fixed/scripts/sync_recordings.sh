#!/usr/bin/env bash
# Copies last night's call recordings from Twilio to the S3 archive.
# AWS credentials come from the pod's IAM role (IRSA); nothing is stored here.
set -euo pipefail

: "${AWS_DEFAULT_REGION:=us-east-1}"
export AWS_DEFAULT_REGION

day="$(date -u -d yesterday +%F)"
python -m worker.export_recordings --day "$day" --out "/tmp/recordings/$day"
aws s3 sync "/tmp/recordings/$day" "s3://acme-call-recordings/$day/"
